export class StoreResponse {
  id!: string;
  listId!: string;
  /** @example "Lidl Main St" */
  name!: string;
  /** Completed trips on this store; the app treats 2 or more as "learned". */
  tripCount!: number;
  /** 1-based walking position of each item on the list, keyed by its name as on the list. @example {"Bananas": 1, "Milk": 2} */
  learnedOrder!: Record<string, number>;
  /** How sure the position is, 0 to 1, keyed like learnedOrder. */
  confidence!: Record<string, number>;
  createdAt!: string;
}
