import { rankWalkingOrder } from '../stores/walking-order';
import { SEEDED_ORDER_WEIGHT_CAP, seedOrder } from './seed-order';

const ranked = (pairs: ReturnType<typeof seedOrder>['pairs']): string[] => {
  const keys = [...new Set(pairs.flatMap((p) => [p.a, p.b]))];
  return [...rankWalkingOrder(keys, pairs)].sort((x, y) => x[1].position - y[1].position).map(([key]) => key);
};

describe('seedOrder (the old learned order as pair evidence)', () => {
  it('should rank the products as the old avg_pos did, whatever order the rows come in', () => {
    const seeded = seedOrder(
      [
        { itemName: 'Milk', avgPos: '4', samples: 5 },
        { itemName: 'Apples', avgPos: '1.5', samples: 4 },
        { itemName: 'Eggs', avgPos: '6.8', samples: 2 },
        { itemName: 'Bread', avgPos: '2.25', samples: 3 },
      ],
      7,
      100,
    );
    expect(ranked(seeded.pairs)).toEqual(['apples', 'bread', 'milk', 'eggs']);
    expect(seeded.names).toEqual(['Apples', 'Bread', 'Milk', 'Eggs']);
    expect(seeded.dropped).toEqual([]);
  });

  it('should weigh a pair by the smaller sample count, capped, dated at the store trip count', () => {
    const { pairs } = seedOrder(
      [
        { itemName: 'b', avgPos: '1', samples: 1 },
        { itemName: 'a', avgPos: '2', samples: 30 },
        { itemName: 'c', avgPos: '3', samples: 40 },
      ],
      5,
      100,
    );
    expect(SEEDED_ORDER_WEIGHT_CAP).toBe(2);
    expect(pairs).toEqual([
      { a: 'a', b: 'b', ab: 0, ba: 1, trip: 5 },
      { a: 'b', b: 'c', ab: 1, ba: 0, trip: 5 },
      { a: 'a', b: 'c', ab: 2, ba: 0, trip: 5 },
    ]);
  });

  it('should drop empty names, non-numbers and a second spelling of one product, saying why', () => {
    const { names, dropped } = seedOrder(
      [
        { itemName: 'Milk', avgPos: '1', samples: 1 },
        { itemName: ' milk ', avgPos: '2', samples: 1 },
        { itemName: '  ', avgPos: '3', samples: 1 },
        { itemName: 'Tea', avgPos: 'NaN', samples: 1 },
        { itemName: 'Jam', avgPos: '0.5', samples: 0 },
      ],
      0,
      100,
    );
    expect(names).toEqual(['Jam', 'Milk']);
    expect(dropped).toEqual([
      { itemName: ' milk ', reason: 'same product as "Milk"' },
      { itemName: '  ', reason: 'empty item name' },
      { itemName: 'Tea', reason: 'avg_pos NaN is not a number' },
    ]);
  });

  it('should keep the best sampled products when the store learns fewer than the old one knew', () => {
    const { names, dropped } = seedOrder(
      [
        { itemName: 'a', avgPos: '1', samples: 1 },
        { itemName: 'b', avgPos: '2', samples: 9 },
        { itemName: 'c', avgPos: '3', samples: 5 },
      ],
      0,
      2,
    );
    expect(names).toEqual(['b', 'c']);
    expect(dropped).toEqual([
      { itemName: 'a', reason: 'the store learns at most 2 products (STORE_LEARNED_PRODUCTS); kept the best sampled' },
    ]);
  });
});
