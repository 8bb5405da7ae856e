/** Worker thread: scores one range of rows into a shared output array, then reports and exits. */
import { parentPort, workerData } from 'node:worker_threads';
import { scoreRows, type ScoreJob } from './score.ts';

const job = workerData as ScoreJob;
scoreRows(job.walk, job.value, job.x, job.nCols, job.from, job.to, job.out);
parentPort?.postMessage('done');
