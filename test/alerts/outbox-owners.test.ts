/**
 * Outbox folders per owner (security.md, eighth review): an owner id that is not a plain file name
 * is stored as `x-<hex>`, and a source system may set another owner's id to exactly that string.
 * Real files (writeToOutbox, the MIME nodemailer builds) read back through the dashboard's reader
 * (listInbox, readInboxMessage).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import { ownerDirName } from '../../alerts/deliver/outbox-files.ts';
import { writeToOutbox } from '../../alerts/deliver/outbox.ts';
import type { Digest } from '../../alerts/digest.ts';
import { deliveryId, episodeId, messageIdFor } from '../../alerts/episodes.ts';
import { listInbox, readInboxMessage } from '../../alerts/inbox.ts';

const tmp = mkdtempSync(join(tmpdir(), 'crm-outbox-owners-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let dataDir = '';
let n = 0;
beforeEach(() => {
  dataDir = join(tmp, `d${++n}`);
  mkdirSync(dataDir);
});

const FROM = 'alerts@crm.example.test';
const ctx = { timezone: 'UTC' };
// `a b` is not a plain file name; its folder under both rules is `x-` and the hex of "a b".
const SPACED = 'a b';
const LOOKALIKE = `x-${Buffer.from(SPACED, 'utf8').toString('hex')}`;

function digest(ownerId: string, customer: string, window = '2024-03-11T07:00:00.000Z'): Digest {
  const ep = episodeId(ownerId, customer, window);
  const id = deliveryId(ownerId, window, [ep]);
  return {
    deliveryId: id,
    messageId: messageIdFor(id, FROM),
    ownerId,
    recipient: 'owner@example.test',
    window,
    windowAt: new Date(window),
    plannedAt: new Date(window),
    more: 0,
    items: [
      {
        customerId: customer,
        customerName: `Name of ${customer}`,
        episodeId: ep,
        probability: 0.8,
        previousProbability: null,
        valueAtRisk: 1000,
        valueBasis: 'clv_12m',
        reasons: [],
        nextStep: 'Call.',
        trigger: 'first',
        url: `https://crm.example.test/customers/${customer}`,
      },
    ],
  };
}

const write = (d: Digest, outboxDir = join(dataDir, 'outbox')) => writeToOutbox(d, { from: FROM, outboxDir }, ctx);
const customersOf = async (owner: string): Promise<string[]> => (await listInbox(dataDir, owner)).flatMap((m) => m.customers.map((c) => c.customer_id));
const ownersInFolder = (owner: string): string[] => {
  const dir = join(dataDir, 'outbox', ownerDirName(owner));
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { owner_id: string }).owner_id);
};

describe('outbox folders per owner', () => {
  test('`a b` and `x-<hex of "a b">` each see only their own digests', async () => {
    const spaced = digest(SPACED, 'C-SPACED');
    const lookalike = digest(LOOKALIKE, 'C-LOOKALIKE');
    await write(spaced);
    await write(lookalike);

    // In the dashboard's inbox (listInbox already kept only .json files naming the owner).
    assert.deepEqual(await customersOf(SPACED), ['C-SPACED']);
    assert.deepEqual(await customersOf(LOOKALIKE), ['C-LOOKALIKE']);
    // "Download / view source": the other owner's delivery id reads nothing.
    assert.equal(readInboxMessage(dataDir, LOOKALIKE, spaced.deliveryId), null);
    assert.equal(readInboxMessage(dataDir, SPACED, lookalike.deliveryId), null);
    assert.match(readInboxMessage(dataDir, SPACED, spaced.deliveryId)!.eml, /Name of C-SPACED/);
    assert.match(readInboxMessage(dataDir, LOOKALIKE, lookalike.deliveryId)!.eml, /Name of C-LOOKALIKE/);
    // On disk: each folder holds its owner's files only (an admin or a mail sync reading the folder).
    assert.notEqual(ownerDirName(SPACED), ownerDirName(LOOKALIKE));
    assert.deepEqual(ownersInFolder(SPACED), [SPACED]);
    assert.deepEqual(ownersInFolder(LOOKALIKE), [LOOKALIKE]);
  });

  test('one folder per owner id: ids that look like encodings, either case, empty, dots, slashes', () => {
    const hex = (s: string) => `x-${Buffer.from(s, 'utf8').toString('hex')}`;
    const ids = ['', '.', '..', 'x-', 'X-', 'x', 'a b', hex('a b'), hex(hex('a b')), hex('a b').toUpperCase(), '../etc', 'a/b', 'U-OWN-01', 'x-U-OWN-01', 'ünï', hex('ünï')];
    const names = ids.map(ownerDirName);
    assert.equal(new Set(names).size, ids.length, names.join(' '));
    for (const name of names) assert.match(name, /^[A-Za-z0-9_][A-Za-z0-9._-]*$/, name);
    // Plain ids that do not start with the reserved prefix keep their folder (no existing inbox moves).
    assert.equal(ownerDirName('U-OWN-01'), 'U-OWN-01');
    assert.equal(ownerDirName('a b'), 'x-612062');
    // Decoding a name gives the id back: x- + hex for every id that is not plain or starts with x-.
    for (const [i, name] of names.entries()) {
      const back = name.startsWith('x-') && name !== ids[i] ? Buffer.from(name.slice(2), 'hex').toString('utf8') : name;
      assert.equal(back, ids[i]);
    }
  });

  test('an owner whose digests an older version wrote under the old folder name keeps them, and sees no one else’s', async () => {
    // The old layout: the plain id `x-612062` was its own folder, shared with `a b`'s digests.
    const scratch = join(dataDir, 'scratch');
    const oldSpaced = digest(SPACED, 'C-OLD-SPACED', '2024-03-10T07:00:00.000Z');
    const oldLookalike = digest(LOOKALIKE, 'C-OLD-LOOKALIKE', '2024-03-10T07:00:00.000Z');
    await write(oldSpaced, scratch);
    await write(oldLookalike, scratch);
    const shared = join(dataDir, 'outbox', LOOKALIKE);
    mkdirSync(shared, { recursive: true });
    for (const dir of readdirSync(scratch)) for (const f of readdirSync(join(scratch, dir))) renameSync(join(scratch, dir, f), join(shared, f));
    assert.equal(readdirSync(shared).length, 4);

    // After the upgrade, a new window for each.
    await write(digest(SPACED, 'C-SPACED'));
    await write(digest(LOOKALIKE, 'C-LOOKALIKE'));
    assert.deepEqual(await customersOf(LOOKALIKE), ['C-LOOKALIKE', 'C-OLD-LOOKALIKE']);
    assert.deepEqual(await customersOf(SPACED), ['C-SPACED', 'C-OLD-SPACED']);
    assert.match(readInboxMessage(dataDir, LOOKALIKE, oldLookalike.deliveryId)!.eml, /Name of C-OLD-LOOKALIKE/);
    assert.equal(readInboxMessage(dataDir, LOOKALIKE, oldSpaced.deliveryId), null);
    assert.equal(readInboxMessage(dataDir, SPACED, oldLookalike.deliveryId), null);

    // A retry of the old delivery (a crash before its ledger write) writes nothing: it is there.
    const again = await write(oldLookalike);
    assert.equal(again.written, false);
    assert.equal(existsSync(join(dataDir, 'outbox', ownerDirName(LOOKALIKE))), true);
    assert.deepEqual(await customersOf(LOOKALIKE), ['C-LOOKALIKE', 'C-OLD-LOOKALIKE']);
  });
});
