// While an experiment runs, the drift monitors judge its control: the treatment's traffic is not the control's drift.
import { describe, expect, it } from 'vitest';
import type { CycleResult } from '../../src/core/types.js';
import { runCycle } from '../../src/cycle.js';
import { prepareCycle } from '../../src/prepare.js';
import { seed } from '../../src/synth/index.js';
import { tempStore } from '../helpers/store.js';

describe('experiments and the drift monitors', () => {
  it('leaves the treatment out of the drift monitors: they judge the control like for like with the reference', async () => {
    // A week's reference and a day of a treatment whose scores sit 0.36 logit higher on half the traffic: read as
    // the model's traffic, PSI and approval rates of several segments move (warnings); its control has not moved.
    const own = await tempStore();
    try {
      const at = new Date('2026-11-24T12:00:00Z');
      await seed(own.store, own.config, { days: 9, end: at, seed: 7, scenarios: ['ab-better'], eventsPerDay: 120_000 });
      const drift = (r: CycleResult) => r.findings.filter((f) => f.model === 'card-auth' && ['psi', 'calibration', 'approval_rate', 'performance'].includes(f.monitor)).map((f) => `${f.monitor} ${f.feature} ${f.window ?? ''} ${JSON.stringify(f.segment)}`);
      const options = await prepareCycle(own.store, own.config, at);
      const judged = await runCycle(own.store, own.config, options);
      expect(drift(judged)).toEqual([]);
      expect((judged.experiments ?? []).map((e) => `${e.treatment} ${e.verdict}`)).toEqual(['v44 ship']);
      // Without the experiments monitor the treatment is read as the control's drift.
      const mistaken = await runCycle(own.store, { ...own.config, monitors: { ...own.config.monitors, experiments: { enabled: false } } }, await prepareCycle(own.store, own.config, at));
      expect(drift(mistaken).filter((f) => f.startsWith('psi score')).length).toBeGreaterThan(2);
    } finally {
      await own.cleanup();
    }
  });
});
