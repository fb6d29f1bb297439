import {
  Activity,
  addActivity,
  DEFAULT_BEHAVIOUR,
  newAccumulator,
  Peaks,
  peaks,
  plan,
  sampleSecond,
  seededRandom,
  simulateDay,
} from '../bench/simulate-day-model';

/** 10:00:00, the start of minute 600 of the day. */
const TEN = 36_000;

describe('simulate-day model (bench/simulate-day-model.ts)', () => {
  it('sums a tiny population by hand: peak second, peak minute, sockets, busiest list', () => {
    const acc = newAccumulator();
    const a: Activity = {
      list: 0,
      reads: [TEN, TEN + 1, TEN + 2],
      writes: [TEN + 10, TEN + 10.5, TEN + 70],
      sockets: [{ start: TEN, end: TEN + 180 }],
    };
    const b: Activity = {
      list: 1,
      reads: [TEN],
      writes: [TEN + 10],
      sockets: [
        { start: TEN + 100, end: TEN + 300 },
        { start: TEN + 100, end: TEN + 300 },
      ],
    };
    // Just before midnight: its write after midnight belongs to the next day; its socket is cut.
    const late: Activity = { list: 2, reads: [], writes: [86_400.5], sockets: [{ start: 86_000, end: 87_000 }] };
    for (const activity of [a, b, late]) addActivity(acc, activity);

    // Second 10:00:10 has three writes (two of list 0, one of list 1); the minute from 10:00:00
    // has 4 reads and 3 writes; from 10:01:40 to 10:02:59 three sockets are open at once.
    expect(peaks(acc)).toEqual<Peaks>({
      requestsPerSecPeakSecond: 3,
      requestsPerSecPeakMinute: 7 / 60,
      readsPerSecPeakMinute: 4 / 60,
      writesPerSecPeakMinute: 3 / 60,
      writesPerSecPeakSecond: 3,
      peakMinuteStart: TEN,
      concurrentSocketsPeak: 3,
      busiestListWritesPerSec: 2,
      requestsPerDay: 8,
      writesPerDay: 4,
    });
  });

  it('plans instances and the database load from the peaks, worked by hand', () => {
    const peak: Peaks = {
      requestsPerSecPeakSecond: 200,
      requestsPerSecPeakMinute: 150,
      readsPerSecPeakMinute: 100,
      writesPerSecPeakMinute: 50,
      writesPerSecPeakSecond: 80,
      peakMinuteStart: 0,
      concurrentSocketsPeak: 10_000,
      busiestListWritesPerSec: 2,
      requestsPerDay: 0,
      writesPerDay: 0,
    };
    const result = plan(
      peak,
      {
        appReadsPerSec: 250,
        appWritesPerSec: 125,
        targetUtilisation: 0.5,
        socketKiB: 4,
        socketMemoryMiB: 20,
        dbWritesPerSec: 200,
        dbOneListWritesPerSec: 100,
        dbReadsPerSec: 1000,
        dbConnections: 97,
        connectionsPerInstance: 11,
      },
      10_000,
    );
    // CPU: 100/250 + 50/125 = 0.8 of an instance, over 0.5 → 1.6 → 2. Sockets: 20 MiB / 4 KiB =
    // 5,120 per instance → 10,000 need 2. Database: 50/200 + 100/1000 = 0.35 of its commits;
    // connections 1.6 × 11 / 97. Households: 10,000 / 0.35 per database, 10,000 / (10,000/5,120) per instance.
    expect(result.instancesForCpu).toBe(2);
    expect(result.instancesForSockets).toBe(2);
    expect(result.instances).toBe(2);
    expect(result.connections).toBe(22);
    expect(result.database.map((r) => r.name)).toEqual(['db commits', 'db connections']);
    expect(result.database[0].utilisation).toBeCloseTo(0.35, 10);
    expect(result.database[1].utilisation).toBeCloseTo((1.6 * 11) / 97, 10);
    expect(result.saturatesFirst.name).toBe('db commits');
    expect(result.busiestList).toBeCloseTo(0.02, 10);
    expect(result.householdsPerDatabase).toBe(28_571);
    expect(result.householdsPerInstance).toBe(5_120);
  });

  it('draws times from the hourly curve: all weight on 18:00 gives seconds within that hour', () => {
    const weights = Array.from({ length: 24 }, (_, hour) => (hour === 18 ? 1 : 0));
    const random = seededRandom(1);
    const seconds = Array.from({ length: 1000 }, () => sampleSecond(weights, random));
    expect(seconds.every((t) => t >= 18 * 3600 && t < 19 * 3600)).toBe(true);
  });

  it('is deterministic: the same seed gives the same day, another seed another one', () => {
    const small = { ...DEFAULT_BEHAVIOUR, households: 2_000 };
    const once = simulateDay(small, 'weekend', 7);
    expect(simulateDay(small, 'weekend', 7)).toEqual(once);
    expect(simulateDay(small, 'weekend', 8)).not.toEqual(once);
  });
});
