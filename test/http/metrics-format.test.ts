/** The Prometheus text format of `ops/metrics`: escaping, cumulative buckets, series made on first use only. */
import { expect, test } from 'bun:test';
import { Registry } from '../../src/ops/metrics';

test('counters, gauges and histograms in the exposition format, label values escaped', () => {
  const registry = new Registry();
  const requests = registry.counter('t_requests_total', 'Requests\nby path', ['path', 'status']);
  requests.labels('/a"b\\c\nd', 200).inc();
  requests.labels('/a"b\\c\nd', 200).inc(2);
  requests.labels('/x', 500).inc();
  registry.gauge('t_up', 'Up').labels().set(1);
  registry.counter('t_unused_total', 'Never touched', ['kind']);
  const latency = registry.histogram('t_seconds', 'Latency', [], [0.1, 1, 0.5]);
  for (const value of [0.05, 0.3, 0.7, 2]) latency.labels().observe(value);
  registry.collected('t_sessions', 'Open sessions', () => 7);
  expect(registry.render()).toBe(
    [
      '# HELP t_requests_total Requests\\nby path',
      '# TYPE t_requests_total counter',
      't_requests_total{path="/a\\"b\\\\c\\nd",status="200"} 3',
      't_requests_total{path="/x",status="500"} 1',
      '# HELP t_up Up',
      '# TYPE t_up gauge',
      't_up 1',
      '# HELP t_unused_total Never touched',
      '# TYPE t_unused_total counter',
      '# HELP t_seconds Latency',
      '# TYPE t_seconds histogram',
      't_seconds_bucket{le="0.1"} 1',
      't_seconds_bucket{le="0.5"} 2',
      't_seconds_bucket{le="1"} 3',
      't_seconds_bucket{le="+Inf"} 4',
      't_seconds_sum 3.05',
      't_seconds_count 4',
      '# HELP t_sessions Open sessions',
      '# TYPE t_sessions gauge',
      't_sessions 7',
      '',
    ].join('\n'),
  );
  expect(() => registry.counter('t_up', 'again')).toThrow('registered twice');
  expect(() => requests.labels('/x')).toThrow('takes 2 label values');
});
