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
  /** How due it is: days since the last purchase ÷ the usual interval (higher first). */
  score!: number;
}
