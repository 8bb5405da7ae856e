// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, test } from 'vitest';
import ModelRunStatus from './ModelRunStatus.svelte';
import { runView as run } from './run-fixture.ts';

afterEach(() => cleanup());

describe('ModelRunStatus', () => {
  test('names the published run; a failed newer run is an alert whose detail is shown as text, never as markup', () => {
    const detail = 'failed in phase trained: <img src=x onerror="alert(1)">';
    const { container } = render(ModelRunStatus, { status: { published: run({}), latest: run({ runId: 'run-b', status: 'failed', detail }) } });
    expect(screen.getByTestId('model-run')).toHaveTextContent('Scores from model run run-20261205-20261206T140501123-a1b2c3 (as of 5 Dec 2026), published 6 Dec 2026, 14:07 UTC');
    expect(screen.getByTestId('model-run').getAttribute('data-run-id')).toBe('run-20261205-20261206T140501123-a1b2c3');
    expect(screen.getByRole('alert')).toHaveTextContent(detail);
    expect(container.querySelector('img')).toBeNull();
  });

  test('nothing when there is no run at all; no notice when the newest run is the published one', () => {
    const { container } = render(ModelRunStatus, { status: undefined });
    expect(container.textContent?.trim()).toBe('');
    cleanup();
    const p = run({});
    render(ModelRunStatus, { status: { published: p, latest: p } });
    expect(screen.queryByTestId('model-run-notice')).toBeNull();
  });
});
