import { describe, expect, it } from 'vitest';
import * as testing from './index.js';

describe('the testing kit face (testing/index.ts, `tributary/testing`)', () => {
  it('exports exactly the curated runtime names', () => {
    // Adding or removing a public name is an API decision: update this list deliberately.
    expect(Object.keys(testing).sort()).toEqual(
      [
        'DEFAULT_APPLICATION_ID',
        'LawViolation',
        'PROPERTY_RUNS_ENV',
        'SINGLE_PARTITION',
        'arbCommitSchedule',
        'arbCrashPoints',
        'arbInstanceChanges',
        'arbPartitioning',
        'arbRecord',
        'arbStream',
        'canonical',
        'fedRecords',
        'feedOrder',
        'finalTable',
        'lawProperties',
        'laws',
        'partitionOf',
        'propertyRuns',
        'runDifferences',
        'runTopology',
      ].sort(),
    );
    expect(Object.keys(testing.laws).sort()).toEqual(['batchIndependence', 'determinism', 'matchesModel', 'partitionIndependence', 'rebalanceEquivalence', 'restartEquivalence']);
    expect(Object.keys(testing.lawProperties).sort()).toEqual(Object.keys(testing.laws).sort());
  });

  it('propertyRuns raises the runs from TRIBUTARY_PROPERTY_RUNS, a quarter of it over the broker', () => {
    const saved = process.env[testing.PROPERTY_RUNS_ENV];
    try {
      delete process.env[testing.PROPERTY_RUNS_ENV];
      expect(testing.propertyRuns(25)).toBe(25);
      process.env[testing.PROPERTY_RUNS_ENV] = '400';
      expect(testing.propertyRuns(25)).toBe(400);
      expect(testing.propertyRuns(25, 'broker')).toBe(100);
      expect(testing.propertyRuns(1_000)).toBe(1_000);
      process.env[testing.PROPERTY_RUNS_ENV] = 'lots';
      expect(testing.propertyRuns(25)).toBe(25);
    } finally {
      if (saved === undefined) delete process.env[testing.PROPERTY_RUNS_ENV];
      else process.env[testing.PROPERTY_RUNS_ENV] = saved;
    }
  });
});
