import { describe, expect, it } from 'vitest';
import { campaignIdFor, normalizeCampaignName, webhookOrigin } from './campaign-push.server.ts';

describe('campaignIdFor', () => {
  it.each([
    ['the same segment and name: the same campaign', ['seg-1', 'Spring push'], ['seg-1', 'Spring push'], true],
    ['case and spacing do not matter', ['seg-1', 'Spring push'], ['seg-1', '  spring   PUSH '], true],
    ['another name: another campaign', ['seg-1', 'Spring push'], ['seg-1', 'Autumn push'], false],
    ['another segment: another campaign', ['seg-1', 'Spring push'], ['seg-2', 'Spring push'], false],
    ['segment and name do not run together', ['seg-1', 'a b'], ['seg-1 a', 'b'], false],
  ] as [string, [string, string], [string, string], boolean][])('%s', (_name, a, b, same) => {
    expect(campaignIdFor(...a) === campaignIdFor(...b)).toBe(same);
    expect(campaignIdFor(...a)).toMatch(/^push-[0-9a-f]{20}$/);
  });
});

describe('normalizeCampaignName', () => {
  it.each([
    ['  Spring   push ', 'Spring push'],
    ['', ''],
    ['x'.repeat(300), 'x'.repeat(200)],
  ])('%j → %j', (input, expected) => expect(normalizeCampaignName(input)).toBe(expected));
});

describe('webhookOrigin', () => {
  it.each([
    ['https://hooks.example.com/services/T0/SECRET?token=abc', 'https://hooks.example.com'],
    ['http://127.0.0.1:9000/hook', 'http://127.0.0.1:9000'],
    ['not a url', ''],
  ])('%s → %s', (url, origin) => expect(webhookOrigin(url)).toBe(origin));
});
