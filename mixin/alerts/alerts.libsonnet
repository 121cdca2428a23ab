// prometheusAlerts: every alert of the mixin, one group per subject. The alerts themselves are in
// connections, ports, portHealth, kernel and exporter.libsonnet; thresholds in ../config.libsonnet.
(import 'connections.libsonnet') +
(import 'ports.libsonnet') +
(import 'portHealth.libsonnet') +
(import 'kernel.libsonnet') +
(import 'exporter.libsonnet') +
{
  prometheusAlerts+:: {
    groups+: [
      { name: 'tcpstate-connections', rules: $.tcpstateConnectionAlerts },
      { name: 'tcpstate-ephemeral-ports', rules: $.tcpstatePortAlerts },
      { name: 'tcpstate-port-health', rules: $.tcpstatePortHealthAlerts },
      { name: 'tcpstate-kernel', rules: $.tcpstateKernelAlerts },
      { name: 'tcpstate-exporter', rules: $.tcpstateExporterAlerts },
    ],
  },
}
