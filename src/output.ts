// The `run --json` document (README, "`run --json`"), built from a cycle's result.
import { formatDuration } from './config/index.js';
import type { CycleResult, ExperimentArm, ExperimentVerdict, Finding } from './core/types.js';

const SEVERITY_ORDER = { critical: 0, warning: 1 } as const;

function round(value: number): number {
  return Number.isFinite(value) ? Number(value.toPrecision(12)) : value;
}

function findingDocument(f: Finding) {
  return {
    monitor: f.monitor,
    model: f.model,
    segment: f.segment,
    feature: f.feature,
    ...(f.window !== undefined ? { window: f.window } : {}),
    value: round(f.value),
    threshold: f.threshold,
    severity: f.severity,
    nCurrent: f.nCurrent,
    nReference: f.nReference,
    ...(f.pValue !== undefined ? { pValue: f.pValue } : {}),
    ...(f.qValue !== undefined ? { qValue: f.qValue } : {}),
  };
}

function experimentDocument(v: ExperimentVerdict) {
  const arm = (a: ExperimentArm) => ({
    version: a.version,
    events: a.events,
    labeled: a.labeled,
    approved: a.approved,
    approvalRate: a.approvalRate,
    ...(a.auc !== undefined ? { auc: a.auc } : {}),
    ...(a.ece !== undefined ? { ece: a.ece } : {}),
    decisionMix: a.decisionMix,
    ...(a.latencyP50 !== undefined ? { latencyP50: a.latencyP50, latencyP99: a.latencyP99 } : {}),
  });
  return {
    model: v.model,
    control: v.control,
    treatment: v.treatment,
    verdict: v.verdict,
    reasons: v.reasons,
    approvalLift: v.approvalLift,
    lo: v.lo,
    hi: v.hi,
    srmPValue: v.srmPValue,
    ...(v.blocked ? { blocked: v.blocked } : {}),
    since: v.since,
    until: v.until,
    pValue: v.pValue,
    ...(v.split ? { split: v.split } : {}),
    ...(v.srmChiSquarePValue !== undefined ? { srmChiSquarePValue: v.srmChiSquarePValue } : {}),
    ...(v.aucPValue !== undefined ? { aucPValue: v.aucPValue } : {}),
    arms: { control: arm(v.controlArm), treatment: arm(v.treatmentArm) },
    guardrails: v.guardrails,
  };
}

export function runDocument(result: CycleResult) {
  const iso = (d: Date) => d.toISOString();
  const findings = [...result.findings].sort(
    (a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || a.monitor.localeCompare(b.monitor) || Math.abs(b.value) - Math.abs(a.value),
  );
  return {
    at: iso(result.at),
    windows: {
      reference: { from: iso(result.windows.reference.from), to: iso(result.windows.reference.to) },
      current: { from: iso(result.windows.current.from), to: iso(result.windows.current.to) },
      matured: {
        reference: { from: iso(result.windows.matured.reference.from), to: iso(result.windows.matured.reference.to) },
        current: { from: iso(result.windows.matured.current.from), to: iso(result.windows.matured.current.to) },
      },
      // With several current windows: each by name (`current` above is the longest).
      // The approved outcome's maturity: configured, learned from the data, or the default until it can be.
      ...(result.windows.maturity ? { maturity: { approved: { ms: result.windows.maturity.approved, duration: formatDuration(result.windows.maturity.approved), source: result.windows.maturity.source } } } : {}),
      ...(result.windows.currents.length > 1 ? { currents: result.windows.currents.map((w) => ({ name: w.name, from: iso(w.current.from), to: iso(w.current.to) })) } : {}),
    },
    models: result.models,
    findings: findings.map(findingDocument),
    shadow: result.shadow.map((s) => ({ model: s.model, shadowVersion: s.shadowVersion, verdict: s.verdict, reasons: s.reasons, ...(s.agreement !== undefined ? { agreement: s.agreement } : {}) })),
    // Two live versions of one model side by side (README, "Experiments"): NaN (no labels yet) is null.
    experiments: (result.experiments ?? []).map(experimentDocument),
    quality: result.quality,
    approval: result.approval,
    // Values of a segment column whose segments shifted together (one roll-up message each, when they page).
    shared: result.shared ?? [],
    evaluated: result.evaluations.length,
    durationMs: result.durationMs,
  };
}
