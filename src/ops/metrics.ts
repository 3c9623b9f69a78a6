/**
 * @module ops/metrics
 * Prometheus text exposition (format 0.0.4) without a dependency: counters, gauges and histograms with a
 * fixed list of label names. `labels(...)` finds a series through one small map per label (no key string
 * is built), and a caller on a hot path keeps the series it got and only does arithmetic on it afterwards.
 * Series are created on first use, so a label value never seen costs nothing.
 */

type LabelValue = string | number;

/** One series of a counter or gauge. */
export class Value {
  value = 0;
  inc(by = 1): void {
    this.value += by;
  }
  set(value: number): void {
    this.value = value;
  }
}

/** One series of a histogram. */
export class Buckets {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length);
  }
  observe(value: number): void {
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        this.counts[i]!++;
        break;
      }
    }
    this.sum += value;
    this.count++;
  }
}

interface Described {
  readonly name: string;
  render(out: string[]): void;
}

/** Series by label values, one map level per label. */
abstract class Family<S> implements Described {
  private readonly root = new Map<LabelValue, unknown>();
  private single?: S;
  private readonly all: { values: readonly LabelValue[]; series: S }[] = [];

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new TypeError(`invalid metric name "${name}"`);
  }

  protected abstract create(): S;
  protected abstract readonly type: 'counter' | 'gauge' | 'histogram';
  protected abstract renderSeries(out: string[], labels: string, series: S): void;

  /** The series for these label values (in `labelNames` order), created on first use. */
  labels(...values: LabelValue[]): S {
    if (values.length !== this.labelNames.length) throw new TypeError(`${this.name} takes ${this.labelNames.length} label values, got ${values.length}`);
    if (values.length === 0) return this.unlabelled();
    let level: Map<LabelValue, unknown> = this.root;
    const last = values.length - 1;
    for (let i = 0; i < last; i++) {
      let next = level.get(values[i]!) as Map<LabelValue, unknown> | undefined;
      if (!next) {
        next = new Map();
        level.set(values[i]!, next);
      }
      level = next;
    }
    let series = level.get(values[last]!) as S | undefined;
    if (!series) {
      series = this.create();
      level.set(values[last]!, series);
      this.all.push({ values: [...values], series });
    }
    return series;
  }

  /** The one series of a metric without labels (shown as 0 before its first use). */
  private unlabelled(): S {
    if (!this.single) {
      this.single = this.create();
      this.all.push({ values: [], series: this.single });
    }
    return this.single;
  }

  render(out: string[]): void {
    if (this.labelNames.length === 0) this.unlabelled();
    out.push(`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`);
    for (const { values, series } of this.all) this.renderSeries(out, labelText(this.labelNames, values), series);
  }
}

export class Counter extends Family<Value> {
  protected readonly type = 'counter';
  protected create(): Value {
    return new Value();
  }
  protected renderSeries(out: string[], labels: string, series: Value): void {
    out.push(`${this.name}${braces(labels)} ${number(series.value)}`);
  }
}

export class Gauge extends Family<Value> {
  protected readonly type = 'gauge';
  protected create(): Value {
    return new Value();
  }
  protected renderSeries(out: string[], labels: string, series: Value): void {
    out.push(`${this.name}${braces(labels)} ${number(series.value)}`);
  }
}

export class Histogram extends Family<Buckets> {
  protected readonly type = 'histogram';
  private readonly bounds: readonly number[];

  constructor(name: string, help: string, labelNames: readonly string[], bounds: readonly number[]) {
    super(name, help, labelNames);
    this.bounds = [...bounds].sort((a, b) => a - b);
  }

  protected create(): Buckets {
    return new Buckets(this.bounds);
  }

  protected renderSeries(out: string[], labels: string, series: Buckets): void {
    const prefix = labels ? `${labels},` : '';
    let cumulative = 0;
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      cumulative += series.counts[i]!;
      out.push(`${this.name}_bucket{${prefix}le="${number(bounds[i]!)}"} ${cumulative}`);
    }
    out.push(`${this.name}_bucket{${prefix}le="+Inf"} ${series.count}`);
    out.push(`${this.name}_sum${braces(labels)} ${number(series.sum)}`);
    out.push(`${this.name}_count${braces(labels)} ${series.count}`);
  }
}

/** A gauge read when scraped (open sessions, tools in the catalog): nothing to keep up to date. */
export class CollectedGauge implements Described {
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly read: () => number,
  ) {}
  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} gauge`, `${this.name} ${number(this.read())}`);
  }
}

/** The metrics one `/metrics` answer shows, in registration order. */
export class Registry {
  private readonly metrics: Described[] = [];
  private readonly names = new Set<string>();

  register<M extends Described>(metric: M): M {
    if (this.names.has(metric.name)) throw new TypeError(`metric "${metric.name}" is registered twice`);
    this.names.add(metric.name);
    this.metrics.push(metric);
    return metric;
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.register(new Counter(name, help, labelNames));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.register(new Gauge(name, help, labelNames));
  }

  histogram(name: string, help: string, labelNames: readonly string[], bounds: readonly number[]): Histogram {
    return this.register(new Histogram(name, help, labelNames, bounds));
  }

  collected(name: string, help: string, read: () => number): CollectedGauge {
    return this.register(new CollectedGauge(name, help, read));
  }

  /** The exposition text (ends with a newline). */
  render(): string {
    const out: string[] = [];
    for (const metric of this.metrics) metric.render(out);
    return `${out.join('\n')}\n`;
  }
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

function labelText(names: readonly string[], values: readonly LabelValue[]): string {
  return names.map((name, i) => `${name}="${escapeLabel(String(values[i]))}"`).join(',');
}

function braces(labels: string): string {
  return labels ? `{${labels}}` : '';
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function number(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}
