// promtool unit tests of every alert (rendered to deploy/prometheus/tests/tcpstate-alerts.test.yml).
{ rule_files: ['../tcpstate-alerts.yml', '../tcpstate-recording.yml'], evaluation_interval: '1m', tests: [] }
