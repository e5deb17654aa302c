// What the sync client does with a response's config before apply(): decode it (a whole snapshot, or a
// delta: docs/sync-protocol.md "Deltas") and check it, once, in steps (time-slices.ts runs them between
// requests). It keeps the checker, whose memory of the last config that passed makes a delta cheap, and
// of the bytes its entities came in makes a whole snapshot that differs in a few entities as cheap
// (whole-as-delta.ts); and counts what arrived, by kind and bytes.
import type { PluginLookup, Steps } from '@archway/schema';
import { deltaFromBytesSteps, snapshotFromWireSteps, snapshotWireSteps, type RawSyncResponse } from '@archway/sync';
import { SnapshotChecker, type CheckedSnapshot } from '../snapshot-check';
import { wholeAsDeltaSteps } from './whole-as-delta';

/** One configuration as it arrived: a whole snapshot or a delta, and its size on the wire. */
export interface ReceivedConfig {
  kind: 'snapshot' | 'delta';
  bytes: number;
}

/** What arrived from the control planes since start: whole snapshots and deltas, counts and bytes. */
export interface SyncReceived {
  snapshots: number;
  /** of the snapshots, those checked and applied as a delta against the config before (whole-as-delta.ts) */
  snapshotsAsDeltas: number;
  deltas: number;
  snapshotBytes: number;
  deltaBytes: number;
}

type Served = { version: number; hash: string } | null;

export class ConfigReceiver {
  /** remembers the last config that passed, so only changed entities are validated again and deltas apply to it */
  readonly #checker: SnapshotChecker;
  readonly #received: SyncReceived = { snapshots: 0, snapshotsAsDeltas: 0, deltas: 0, snapshotBytes: 0, deltaBytes: 0 };

  /** `checker`: the data plane's own (its config store's, which checked the disk cache), when it has one */
  constructor(plugins: PluginLookup, checker: SnapshotChecker = new SnapshotChecker(plugins)) {
    this.#checker = checker;
  }

  get received(): Readonly<SyncReceived> {
    return { ...this.#received };
  }

  /** Counts `response` (`bytes` on the wire) and says what it is. */
  count(response: RawSyncResponse, bytes: number): ReceivedConfig {
    const r = this.#received;
    if (response.delta) {
      r.deltas++;
      r.deltaBytes += bytes;
      return { kind: 'delta', bytes };
    }
    r.snapshots++;
    r.snapshotBytes += bytes;
    return { kind: 'snapshot', bytes };
  }

  /** Prepares for a delta against the config that passed last (see SnapshotChecker.prepareDeltaSteps). */
  prepareDeltaSteps(): Steps<void> {
    return this.#checker.prepareDeltaSteps();
  }

  /** Decodes and checks the response's snapshot or delta; null when it gives the config `served` already (nothing to apply). */
  *receiveSteps(response: RawSyncResponse, served: () => Served): Steps<CheckedSnapshot | null> {
    if (response.delta) {
      const bytesOf = new Map<object, Uint8Array>();
      const delta = yield* deltaFromBytesSteps(response.delta, bytesOf);
      const now = served();
      if (now && now.version === delta.version && now.hash === delta.hash) return null;
      // applied to the last snapshot that passed, which must be the one served
      return yield* this.#checker.checkDeltaSteps(delta, now, bytesOf);
    }
    if (!response.snapshot) throw new Error('response carries no snapshot');
    const wire = yield* snapshotWireSteps(response.snapshot);
    const now = served();
    if (now && now.version === wire.version && now.hash === wire.hash) return null;
    const asDelta = yield* wholeAsDeltaSteps(wire, this.#checker);
    if (asDelta) {
      try {
        const checked = yield* this.#checker.checkDeltaSteps(asDelta.delta, now, asDelta.wire);
        this.#received.snapshotsAsDeltas++;
        return checked;
      } catch {
        // nothing changed; the whole check below decides, and names what is wrong in the snapshot's terms
      }
    }
    const bytesOf = new Map<object, Uint8Array>();
    const snapshot = yield* snapshotFromWireSteps(wire, bytesOf);
    return yield* this.#checker.checkSteps(snapshot, bytesOf);
  }
}
