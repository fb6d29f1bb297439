import { configNamespace, integer } from './env';

/**
 * Quotas: what one user or one list may hold, set far above what a household uses, so that
 * nobody can make the database (or an instance's sockets) grow without bound. A write past a
 * quota answers 409 and writes nothing; trip history is kept rather than refused (the app's
 * "done shopping" must never dead-end): past its bounds the oldest trips go.
 */
export const quotaConfig = configNamespace(
  'quota',
  {
    /** Items on one list (checked or not); completing a trip removes the checked ones. */
    MAX_ITEMS_PER_LIST: integer({ default: 2000, min: 1, max: 1_000_000 }),
    /** Lists one user belongs to, owned or joined (creating and joining both count). */
    MAX_LISTS_PER_USER: integer({ default: 100, min: 1, max: 100_000 }),
    /** Stores of one list. */
    MAX_STORES_PER_LIST: integer({ default: 50, min: 1, max: 10_000 }),
    /** Members of one list, the owner included. */
    MAX_MEMBERS_PER_LIST: integer({ default: 50, min: 1, max: 10_000 }),
    /** Trips a list keeps: completing one more removes the oldest (with their items and receipts). */
    TRIPS_KEPT_PER_LIST: integer({ default: 1000, min: 1, max: 1_000_000 }),
    /** Bought items a list's trip history keeps: the oldest trips go past it (the newest one always stays). */
    TRIP_ITEMS_KEPT_PER_LIST: integer({ default: 50_000, min: 1, max: 100_000_000 }),
    /** Bytes of receipt files one list keeps (a replaced receipt no longer counts). */
    MAX_RECEIPT_BYTES_PER_LIST: integer({ default: 1_073_741_824, min: 1, max: 1_099_511_627_776 }),
    /** Open WebSockets of one user, on all lists and all instances. */
    WS_MAX_SOCKETS_PER_USER: integer({ default: 20, min: 1, max: 100_000 }),
    /** Open WebSockets on one list, on all instances (bounds presence and item:checking fan-out). */
    WS_MAX_SOCKETS_PER_LIST: integer({ default: 200, min: 1, max: 1_000_000 }),
  },
  (v) => ({
    itemsPerList: v.MAX_ITEMS_PER_LIST,
    listsPerUser: v.MAX_LISTS_PER_USER,
    storesPerList: v.MAX_STORES_PER_LIST,
    membersPerList: v.MAX_MEMBERS_PER_LIST,
    tripsKeptPerList: v.TRIPS_KEPT_PER_LIST,
    tripItemsKeptPerList: v.TRIP_ITEMS_KEPT_PER_LIST,
    receiptBytesPerList: v.MAX_RECEIPT_BYTES_PER_LIST,
    socketsPerUser: v.WS_MAX_SOCKETS_PER_USER,
    socketsPerList: v.WS_MAX_SOCKETS_PER_LIST,
  }),
);

export type QuotaConfig = ReturnType<typeof quotaConfig>;
/** The name of a quota, as a refusal names it (`quota` in the error body). */
export type QuotaName = keyof QuotaConfig;
