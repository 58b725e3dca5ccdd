import { describe, expect, it } from 'vitest';
import { AbortedTransactionsIndex } from './aborted-transactions-index.js';
import { MemoryStorage } from './storage.js';

const DIR = '/p/t-0';

function index(storage = new MemoryStorage()): { idx: AbortedTransactionsIndex; storage: MemoryStorage } {
  storage.mkdirp(DIR);
  return { idx: new AbortedTransactionsIndex(storage, DIR), storage };
}

describe('AbortedTransactionsIndex', () => {
  it("writes Kafka's 34-byte TxnIndex entries into the marker's segment file", () => {
    const { idx, storage } = index();
    idx.append(0, { producerId: 7, firstOffset: 3, lastOffset: 9 }, 10);
    idx.close();
    expect(storage.readFile(`${DIR}/00000000000000000000.txnindex`)?.toString('hex')).toBe(
      '0000' + '0000000000000007' + '0000000000000003' + '0000000000000009' + '000000000000000a',
    );
  });

  it('collects the transactions overlapping a fetch range, stopping where the LSO passed the range', () => {
    const { idx } = index();
    idx.append(0, { producerId: 1, firstOffset: 0, lastOffset: 5 }, 2); // producer 2's transaction was open since 2
    idx.append(0, { producerId: 2, firstOffset: 2, lastOffset: 8 }, 9);
    idx.append(10, { producerId: 3, firstOffset: 12, lastOffset: 14 }, 15);
    expect(idx.collect(0, 100).map((a) => a.producerId)).toEqual([1, 2, 3]);
    expect(idx.collect(6, 100).map((a) => a.producerId)).toEqual([2, 3]);
    // Ends before producer 3 started: its entry is not wanted, and the scan stops at producer 2's (LSO 9 >= 9).
    expect(idx.collect(0, 9).map((a) => a.producerId)).toEqual([1, 2]);
    expect(idx.collect(15, 100)).toEqual([]);
    expect(idx.collect(3, 4).map((a) => a.producerId)).toEqual([1, 2]);
  });

  it('reloads its files, dropping entries at or after the replay point and the files of deleted segments', () => {
    const storage = new MemoryStorage();
    const { idx } = index(storage);
    idx.append(0, { producerId: 1, firstOffset: 0, lastOffset: 5 }, 6);
    idx.append(10, { producerId: 2, firstOffset: 11, lastOffset: 13 }, 14);
    idx.append(10, { producerId: 3, firstOffset: 14, lastOffset: 16 }, 17);
    idx.append(20, { producerId: 4, firstOffset: 20, lastOffset: 21 }, 22);
    idx.close();
    const reloaded = new AbortedTransactionsIndex(storage, DIR);
    reloaded.load([0, 10], 15);
    expect(reloaded.collect(0, 100).map((a) => a.producerId)).toEqual([1, 2]);
    expect(storage.exists(`${DIR}/00000000000000000020.txnindex`)).toBe(false);
    expect(storage.readFile(`${DIR}/00000000000000000010.txnindex`)?.length).toBe(34);
    reloaded.dropSegment(0);
    expect(reloaded.collect(0, 100).map((a) => a.producerId)).toEqual([2]);
    expect(storage.exists(`${DIR}/00000000000000000000.txnindex`)).toBe(false);
  });
});
