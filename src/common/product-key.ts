/**
 * Product identity across lists, trips and stores: "Milk", "milk " and "MILK" are one
 * product. Unicode-normalised (NFKC), trimmed, inner whitespace collapsed, lower-cased.
 */
export function productKey(name: string): string {
  return name.normalize('NFKC').trim().replace(/\s+/g, ' ').toLocaleLowerCase('en-US');
}
