// Every monitor a cycle runs, in order. Adding a monitor is one line here.
import { approvalMonitor } from './approval.js';
import { calibrationMonitor } from './calibration.js';
import type { Monitor } from './monitor.js';
import { psiMonitor } from './psi.js';
import { qualityMonitor } from './quality.js';
import { shadowMonitor } from './shadow.js';

export const MONITORS: readonly Monitor[] = [psiMonitor, calibrationMonitor, approvalMonitor, shadowMonitor, qualityMonitor];
