// The built package as another project uses it: plain node imports `driftwatch` and gets the library's functions (README, "Library").
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/store/index.js';

describe('package exports', () => {
  it('plain node imports the library functions from the built package', () => {
    const dir = mkdtempSync(join(tmpdir(), 'driftwatch-consumer-'));
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(packageRoot, join(dir, 'node_modules', 'driftwatch'));
    writeFileSync(
      join(dir, 'use.mjs'),
      `import { psiFromCounts, calibrationError, twoProportionZTest, wilsonInterval, benjaminiHochberg, aucWithDeLong } from 'driftwatch';
       const out = {
         psi: psiFromCounts([50, 50], [50, 50]),
         ece: calibrationError([0.1, 0.9], [0, 1]).ece,
         z: twoProportionZTest(50, 100, 50, 100).z,
         wilson: wilsonInterval(0, 10).lo,
         bh: benjaminiHochberg([0.01, 0.04], 0.05).rejected,
         auc: aucWithDeLong([0.1, 0.2, 0.8, 0.9], [0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]).aucA,
       };
       let rangeError = '';
       try { psiFromCounts([1], [1, 2]); } catch (e) { rangeError = e.constructor.name; }
       console.log(JSON.stringify({ ...out, rangeError }));`,
    );
    const output = JSON.parse(execFileSync(process.execPath, [join(dir, 'use.mjs')], { encoding: 'utf8' }));
    expect(output).toEqual({ psi: 0, ece: expect.closeTo(0.1, 12), z: 0, wilson: 0, bh: [true, true], auc: 1, rangeError: 'RangeError' });
  });
});
