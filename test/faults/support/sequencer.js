const Sequencer = require('@jest/test-sequencer').default;

/** The checker's spec first, then the scenarios in name order (they are numbered, as in docs/RELIABILITY.md). */
class ByName extends Sequencer {
  sort(tests) {
    const rank = (test) => (test.path.endsWith('.faults-spec.ts') ? 1 : 0);
    return [...tests].sort((a, b) => rank(a) - rank(b) || a.path.localeCompare(b.path));
  }
}

module.exports = ByName;
