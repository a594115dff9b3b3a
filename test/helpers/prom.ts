// Parses the Prometheus text exposition format, as Prometheus reads it, into typed metric families.
import { createRequire } from 'node:module';

export interface MetricSample {
  labels?: Record<string, string>;
  value?: string;
  buckets?: Record<string, string>;
  count?: string;
  sum?: string;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: string;
  metrics: MetricSample[];
}

export const parseMetrics = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => MetricFamily[];
