export class SuggestionResponse {
  /** @example "Milk" */
  name!: string;
  /** @example "l" */
  unit!: string;
  /** From the real interval between purchases. @example "weekly" */
  frequencyLabel!: string;
  /** @example "Usually bought every ~7 days; last bought 9 days ago." */
  reason!: string;
  lastBoughtAt!: string;
  /** Median days between purchases; null when bought once. */
  intervalDays!: number | null;
  timesBought!: number;
  /**
   * The probability that it has run out by now and is still bought (0 to 0.98, three decimals;
   * at most 0.1 for a product bought once); the list is sorted by it, highest first.
   * @example 0.816
   */
  score!: number;
}
