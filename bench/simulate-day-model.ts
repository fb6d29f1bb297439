/**
 * The pure model behind `npm run bench:simulate` (bench/simulate-day.ts): a day of CartSync
 * traffic for a population of households, second by second, and what it takes to carry it at
 * given per-request costs. No I/O, no clock: a seeded generator makes every run the same.
 *
 * A household's day is a set of activities. An *open* (someone opens the app to plan: reads the
 * list, maybe adds items, socket open for a few minutes) or a *trip* (one or more shoppers in the
 * store: socket open for the whole trip, items checked one by one, the trip completed at the end).
 * Each activity contributes requests (reads, writes) at given seconds and one socket per device
 * over an interval. The accumulator sums them per second of the day; `peaks` reads the busiest
 * second and minute off it; `plan` turns peaks and costs into instances, database load and
 * what saturates first.
 */

export const SECONDS_PER_DAY = 86_400;

export type DayKind = 'weekday' | 'weekend';

/** Relative weight of each hour of the day (0–23); need not sum to 1. */
export type HourlyWeights = readonly number[];

/**
 * When people plan (open the app at home) and when they shop. Evening peaks on weekdays (after
 * work, 17:00–20:00), late morning and afternoon on weekends. Assumptions, not measurements.
 */
export const DIURNAL: Record<DayKind, { plan: HourlyWeights; shop: HourlyWeights }> = {
  weekday: {
    //     0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15 16  17  18  19  20  21  22 23
    plan: [1, 0, 0, 0, 0, 1, 3, 6, 5, 3, 3, 4, 6, 4, 3, 4, 6, 9, 10, 10, 9, 8, 5, 2],
    shop: [0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 5, 4, 5, 8, 12, 13, 10, 6, 3, 1, 0],
  },
  weekend: {
    plan: [1, 0, 0, 0, 0, 0, 1, 3, 6, 9, 10, 9, 7, 5, 5, 5, 6, 7, 8, 8, 7, 6, 4, 2],
    shop: [0, 0, 0, 0, 0, 0, 0, 1, 4, 9, 13, 14, 11, 9, 9, 10, 10, 9, 6, 3, 1, 0, 0, 0],
  },
};

/** Who uses the app and how, per day. Defaults are assumptions stated in docs/SCALING.md. */
export interface Behaviour {
  households: number;
  /** Share of households that use the app at all on the day. */
  activeShare: Record<DayKind, number>;
  /** App opens to plan, per active household per day (all members together), Poisson. */
  opensPerDay: number;
  /** Seconds the socket stays open during a planning open. */
  openSeconds: number;
  /** Requests read-only per open or per shopper joining a trip (GET /lists, GET /lists/:id, ws ticket). */
  readsPerOpen: number;
  /** Items added per planning open, Poisson. */
  addsPerOpen: number;
  /** Probability that an active household shops on the day. */
  tripProbability: Record<DayKind, number>;
  /** Devices in the store per trip: 1, plus a second with this probability. */
  secondShopperProbability: number;
  tripSeconds: number;
  /** Items checked per trip (writes, spread over the trip), Poisson. */
  checksPerTrip: number;
  /** Writes at the end of a trip (POST /trips: completing it). */
  writesPerTripEnd: number;
}

export const DEFAULT_BEHAVIOUR: Behaviour = {
  households: 100_000,
  activeShare: { weekday: 0.6, weekend: 0.7 },
  opensPerDay: 4,
  openSeconds: 180,
  readsPerOpen: 3,
  addsPerOpen: 1.5,
  tripProbability: { weekday: 0.3, weekend: 0.5 },
  secondShopperProbability: 0.3,
  tripSeconds: 35 * 60,
  checksPerTrip: 15,
  writesPerTripEnd: 1,
};

/** One activity: requests at given seconds of the day, sockets over [start, end). */
export interface Activity {
  list: number;
  reads: number[];
  writes: number[];
  sockets: { start: number; end: number }[];
}

/** Sums per second of the day. */
export interface Accumulator {
  reads: Float64Array;
  writes: Float64Array;
  /** +1 at a socket's first second, -1 after its last (a running sum gives the open sockets). */
  socketDelta: Float64Array;
  /** The most writes one list took in one second (the list-row lock serialises them). */
  busiestListWritesPerSec: number;
  activities: number;
}

export function newAccumulator(): Accumulator {
  return {
    reads: new Float64Array(SECONDS_PER_DAY),
    writes: new Float64Array(SECONDS_PER_DAY),
    socketDelta: new Float64Array(SECONDS_PER_DAY + 1),
    busiestListWritesPerSec: 0,
    activities: 0,
  };
}

const clampSecond = (t: number) => Math.min(SECONDS_PER_DAY - 1, Math.max(0, Math.floor(t)));

/** Requests after midnight belong to the next day: not counted (the model simulates one day). */
const today = (t: number) => t >= 0 && t < SECONDS_PER_DAY;

export function addActivity(acc: Accumulator, activity: Activity): void {
  acc.activities++;
  for (const t of activity.reads) if (today(t)) acc.reads[Math.floor(t)]++;
  const perSecond = new Map<number, number>();
  for (const t of activity.writes) {
    if (!today(t)) continue;
    const second = Math.floor(t);
    acc.writes[second]++;
    perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
  }
  for (const n of perSecond.values()) acc.busiestListWritesPerSec = Math.max(acc.busiestListWritesPerSec, n);
  for (const socket of activity.sockets) {
    // A socket past midnight is cut at the end of the day (the model simulates one day).
    const start = clampSecond(socket.start);
    const end = Math.min(SECONDS_PER_DAY, Math.max(start + 1, Math.ceil(socket.end)));
    acc.socketDelta[start]++;
    acc.socketDelta[end]--;
  }
}

export interface Peaks {
  /** Busiest single second. */
  requestsPerSecPeakSecond: number;
  /** Busiest minute, as a per-second average (what capacity is planned on). */
  requestsPerSecPeakMinute: number;
  readsPerSecPeakMinute: number;
  writesPerSecPeakMinute: number;
  writesPerSecPeakSecond: number;
  /** Start of the busiest minute, seconds after midnight. */
  peakMinuteStart: number;
  concurrentSocketsPeak: number;
  busiestListWritesPerSec: number;
  requestsPerDay: number;
  writesPerDay: number;
}

export function peaks(acc: Accumulator): Peaks {
  let peakSecond = 0;
  let peakWriteSecond = 0;
  let sockets = 0;
  let socketsPeak = 0;
  let requestsPerDay = 0;
  let writesPerDay = 0;
  for (let t = 0; t < SECONDS_PER_DAY; t++) {
    const requests = acc.reads[t] + acc.writes[t];
    peakSecond = Math.max(peakSecond, requests);
    peakWriteSecond = Math.max(peakWriteSecond, acc.writes[t]);
    requestsPerDay += requests;
    writesPerDay += acc.writes[t];
    sockets += acc.socketDelta[t];
    socketsPeak = Math.max(socketsPeak, sockets);
  }
  let best = { start: 0, reads: 0, writes: 0 };
  for (let start = 0; start < SECONDS_PER_DAY; start += 60) {
    let reads = 0;
    let writes = 0;
    for (let t = start; t < start + 60; t++) {
      reads += acc.reads[t];
      writes += acc.writes[t];
    }
    if (reads + writes > best.reads + best.writes) best = { start, reads, writes };
  }
  return {
    requestsPerSecPeakSecond: peakSecond,
    requestsPerSecPeakMinute: (best.reads + best.writes) / 60,
    readsPerSecPeakMinute: best.reads / 60,
    writesPerSecPeakMinute: best.writes / 60,
    writesPerSecPeakSecond: peakWriteSecond,
    peakMinuteStart: best.start,
    concurrentSocketsPeak: socketsPeak,
    busiestListWritesPerSec: acc.busiestListWritesPerSec,
    requestsPerDay,
    writesPerDay,
  };
}

/** mulberry32: a small seeded generator, so that every run of the simulation is the same. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function poisson(mean: number, random: () => number): number {
  if (mean <= 0) return 0;
  const limit = Math.exp(-mean);
  let k = 0;
  let p = random();
  while (p > limit) {
    k++;
    p *= random();
  }
  return k;
}

/** A second of the day drawn from hourly weights (uniform within the hour). */
export function sampleSecond(weights: HourlyWeights, random: () => number): number {
  const total = weights.reduce((sum, w) => sum + w, 0);
  let pick = random() * total;
  for (let hour = 0; hour < 24; hour++) {
    if (pick < weights[hour] || hour === 23) return hour * 3600 + random() * 3600;
    pick -= weights[hour];
  }
  return 0;
}

/** Every activity of the day for the population, fed to `sink` one by one (no big array). */
export function generateDay(
  behaviour: Behaviour,
  day: DayKind,
  random: () => number,
  sink: (activity: Activity) => void,
): void {
  const curves = DIURNAL[day];
  const spread = (start: number, seconds: number, n: number) =>
    Array.from({ length: n }, () => start + random() * seconds);
  for (let household = 0; household < behaviour.households; household++) {
    if (random() >= behaviour.activeShare[day]) continue;
    const opens = poisson(behaviour.opensPerDay, random);
    for (let i = 0; i < opens; i++) {
      const start = sampleSecond(curves.plan, random);
      sink({
        list: household,
        reads: Array.from({ length: behaviour.readsPerOpen }, (_, k) => start + k),
        writes: spread(start, behaviour.openSeconds, poisson(behaviour.addsPerOpen, random)),
        sockets: [{ start, end: start + behaviour.openSeconds }],
      });
    }
    if (random() < behaviour.tripProbability[day]) {
      const start = sampleSecond(curves.shop, random);
      const end = start + behaviour.tripSeconds;
      const shoppers = random() < behaviour.secondShopperProbability ? 2 : 1;
      const reads: number[] = [];
      for (let s = 0; s < shoppers; s++) for (let k = 0; k < behaviour.readsPerOpen; k++) reads.push(start + k);
      const writes = spread(start, behaviour.tripSeconds, poisson(behaviour.checksPerTrip, random));
      for (let k = 0; k < behaviour.writesPerTripEnd; k++) writes.push(end);
      sink({
        list: household,
        reads,
        writes,
        sockets: Array.from({ length: shoppers }, () => ({ start, end })),
      });
    }
  }
}

export function simulateDay(behaviour: Behaviour, day: DayKind, seed: number): Peaks {
  const acc = newAccumulator();
  generateDay(behaviour, day, seededRandom(seed), (activity) => addActivity(acc, activity));
  return peaks(acc);
}

/** What one request and one socket cost, measured or documented (see bench/simulate-day.ts). */
export interface Costs {
  /** GET /lists/:id per second one instance serves at saturation (its CPU full). */
  appReadsPerSec: number;
  /** Item writes (add/check) per second one instance serves at saturation. */
  appWritesPerSec: number;
  /** Share of an instance's capacity planned to be used at the peak (headroom for bursts). */
  targetUtilisation: number;
  /** Server memory per idle socket, KiB. */
  socketKiB: number;
  /** Memory one instance may give to sockets, MiB. */
  socketMemoryMiB: number;
  /** Item writes (each: event appended + NOTIFY) per second the database commits at best. */
  dbWritesPerSec: number;
  /** Writes per second one list takes (its row lock serialises them). */
  dbOneListWritesPerSec: number;
  /** GET /lists/:id statement sets per second the database serves at best. */
  dbReadsPerSec: number;
  /** Connections the database accepts for the app (max_connections minus reserved). */
  dbConnections: number;
  /** Connections one instance holds: DB_POOL_SIZE + 1 LISTEN. */
  connectionsPerInstance: number;
}

export interface Resource {
  name: string;
  /** Share of the resource the peak uses (1 = saturated). */
  utilisation: number;
  /** True when adding instances relieves it; false for the one database. */
  scalesOut: boolean;
}

export interface Plan {
  instances: number;
  /** Instances needed by CPU alone, and by socket memory alone. */
  instancesForCpu: number;
  instancesForSockets: number;
  /** Database connections the instances hold (DB_POOL_SIZE + 1 each). */
  connections: number;
  /** Of the database, at the peak: each resource's utilisation, busiest first. */
  database: Resource[];
  /** The shared resource that saturates first as the population grows. */
  saturatesFirst: Resource;
  /**
   * The busiest list's writes per second over what one list takes: a per-household limit that
   * does not grow with the population (it grows with how fast one household writes).
   */
  busiestList: number;
  /** Households one instance carries at the target utilisation (CPU and sockets). */
  householdsPerInstance: number;
  /** Households one database carries before its busiest resource saturates. */
  householdsPerDatabase: number;
}

/**
 * Instances: the peak minute's reads and writes as shares of one instance's capacity (a read
 * costs 1/appReadsPerSec of it, a write 1/appWritesPerSec), over the target utilisation; or the
 * peak sockets' memory, whichever needs more. Database: writes against the measured commit rate
 * (NOTIFY included), reads against the measured read rate, the instances' connections against
 * max_connections, and apart from them the busiest list against one list's rate. Load grows
 * linearly with the population (households), so each utilisation says how far it can grow.
 */
export function plan(p: Peaks, costs: Costs, households: number): Plan {
  const cpuShare = p.readsPerSecPeakMinute / costs.appReadsPerSec + p.writesPerSecPeakMinute / costs.appWritesPerSec;
  const instancesForCpu = Math.max(1, Math.ceil(cpuShare / costs.targetUtilisation));
  const socketsPerInstance = (costs.socketMemoryMiB * 1024) / costs.socketKiB;
  const instancesForSockets = Math.max(1, Math.ceil(p.concurrentSocketsPeak / socketsPerInstance));
  const instances = Math.max(instancesForCpu, instancesForSockets);
  const dbLoad = p.writesPerSecPeakMinute / costs.dbWritesPerSec + p.readsPerSecPeakMinute / costs.dbReadsPerSec;
  // Connections grow with the instances, which grow with the population (counted unrounded here,
  // so that the households they allow scale linearly like the rest).
  const connectionShare =
    (Math.max(cpuShare / costs.targetUtilisation, 1e-9) * costs.connectionsPerInstance) / costs.dbConnections;
  const database: Resource[] = [
    { name: 'db commits', utilisation: dbLoad, scalesOut: false },
    { name: 'db connections', utilisation: connectionShare, scalesOut: false },
  ].sort((a, b) => b.utilisation - a.utilisation);
  const perHousehold = (share: number) => (share > 0 ? households / share : Infinity);
  const instanceShare = Math.max(cpuShare / costs.targetUtilisation, p.concurrentSocketsPeak / socketsPerInstance);
  return {
    instances,
    instancesForCpu,
    instancesForSockets,
    connections: instances * costs.connectionsPerInstance,
    database,
    saturatesFirst: database[0],
    busiestList: p.busiestListWritesPerSec / costs.dbOneListWritesPerSec,
    householdsPerInstance: Math.floor(perHousehold(instanceShare)),
    householdsPerDatabase: Math.floor(perHousehold(database[0].utilisation)),
  };
}
