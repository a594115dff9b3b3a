// `monitors.experiments` in the config: the comparison's level, its guardrail and the experiments a team declares.
import { z } from 'zod';
import type { Config } from '../../config/index.js';

export const experimentSettings = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Level of the lift's confidence sequence: a null treatment is shipped (or rolled back) in at most alpha of experiments, however often looked at (about alpha/2 each side). */
    alpha: z.number().gt(0).max(0.5).default(0.05),
    /** Scale of the normal mixture (in approval-rate proportion): the interval is tightest for lifts of about this size; valid for any. */
    tau: z.number().gt(0).max(1).default(0.02),
    /** A sample-ratio test (always-valid) below this blocks the verdict. */
    srmAlpha: z.number().gt(0).max(0.5).default(0.001),
    /** Labeled transactions in each arm before a ship. */
    minLabeled: z.number().int().min(1).default(1000),
    guardrail: z
      .strictObject({
        /** A segment (with minVolume labeled events in each arm) whose approval rate falls by more than this under the treatment rolls it back. */
        approvalDrop: z.number().nonnegative().max(1).default(0.01),
      })
      .prefault({}),
    /** Experiments a team declares: the control and the intended split (weights per version, e.g. { v41: 50, v44: 50 }). */
    declared: z
      .array(
        z.strictObject({
          model: z.string().min(1),
          control: z.string().min(1).optional(),
          split: z.record(z.string().min(1), z.number().positive()).optional(),
        }),
      )
      .default([]),
  })
  .prefault({});

export type ExperimentSettings = z.infer<typeof experimentSettings>;

export const settingsOf = (config: Config): ExperimentSettings => experimentSettings.parse(config.monitors.experiments);
