// Preloaded (node --import) into every test file of the unit lane by test/run.mjs: a unit test
// may not start a process or listen on a socket — which is also how the embedded warehouse, Cube,
// the web app and a browser would start. Doing so throws, naming the lane to move the file to.
// Only inside the test files' processes (node's runner marks them with NODE_TEST_CONTEXT), not in
// the runner that spawns them.
import childProcess from 'node:child_process';
import net from 'node:net';
import { syncBuiltinESMExports } from 'node:module';

if (process.env.NODE_TEST_CONTEXT) {
  const refuse = (what) =>
    function refused() {
      throw new Error(
        `${what} in the unit lane: unit tests start no process, server, warehouse or browser. ` +
          'Move this file to the integration (or e2e) list in test/lanes.mjs.',
      );
    };
  for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'])
    childProcess[name] = refuse(`child_process.${name}()`);
  net.Server.prototype.listen = refuse('listen()');
  // `import { spawn } from 'node:child_process'` reads the patched functions too.
  syncBuiltinESMExports();
}
