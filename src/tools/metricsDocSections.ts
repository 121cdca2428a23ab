import { DEFAULT_SERIES_HYSTERESIS } from '../aggregate/portSeries.js';
import { DEFAULT_EPHEMERAL_RANGE, IANA_DYNAMIC_LOW } from '../aggregate/socketRoles.js';
import { DEFAULT_PORT_LIMITS, worstCaseKeepaliveSeries, worstCasePortSeries } from '../aggregate/socketSummary.js';
import { DEFAULT_NETNS_OPTIONS, DEFAULT_PROCESS_OPTIONS } from '../collectors/options.js';
import { DEFAULT_EPHEMERAL_OPTIONS } from '../collectors/options.js';

/**
 * The prose sections of docs/metrics.md that explain how ports become label values: the rules
 * and their limits, rendered from the constants the code uses so that the numbers cannot drift.
 */

const { maxServerPorts: S, topClientPorts: C } = DEFAULT_PORT_LIMITS;
const { admitCycles: ADMIT, keepCycles: KEEP } = DEFAULT_SERIES_HYSTERESIS;
const K = DEFAULT_EPHEMERAL_OPTIONS.topDestinations;

export function rolesSection(): string[] {
  const { low, high } = DEFAULT_EPHEMERAL_RANGE;
  return [
    '## Socket roles',
    '',
    'Every non-listening socket is counted in one role: `role="server"` under its local port, or `role="client"` under its remote port. The first rule that applies decides, per socket, in the same pass as the rest of the aggregation:',
    '',
    '| # | the socket | role |',
    '| --- | --- | --- |',
    '| 1 | a listener on its local port (the walk visits the listeners of both families before any connection) | server |',
    `| 2 | local port outside \`net.ipv4.ip_local_port_range\`, remote port inside it or in ${IANA_DYNAMIC_LOW}-65535 | server |`,
    `| 3 | local port inside the range, remote port outside it and below ${IANA_DYNAMIC_LOW} | client |`,
    '| 4 | otherwise (both ports look ephemeral, or neither): the local port is remembered as a service port | server |',
    '|   | … the remote port has a listener here, or is remembered | client |',
    '| 5 | otherwise: the lower port is the service | server if local < remote |',
    '',
    `\`connect()\` takes its local port from the range, so a local port outside it was bound on purpose (a service), and the peer's port looks picked for the connection when it is in our range or in IANA's dynamic range (${IANA_DYNAMIC_LOW}-65535: Windows, macOS and BSD peers). A port is remembered as a service port for \`--collector.series.keep-cycles\` cycles (default ${KEEP}) after the last cycle in which it had a listener or a socket rule 2 or 4 counted as server, so the sockets a server keeps after it stops listening (graceful drain, a listener closed after accept errors) stay under its port for as long as they live; the lower-port guess of rule 5 is never remembered. The range is the exporter's network namespace's (the kernel's ${low}-${high} when unreadable); it applies to IPv6 too (the kernel has one range for both families), and an IPv4 client of a dual-stack listener is an IPv6 socket with the same ports, so roles do not depend on the family or the address.`,
    '',
    'The ephemeral-port metrics use the same decision: the local port of a server socket is a service port (like a listener\'s: the accepted sockets keep the listener\'s bind bucket, so `connect()` cannot pick the port while any of them lives), neither held nor usable.',
    '',
    'Limits, where the rules guess wrong:',
    '',
    '- after an exporter restart nothing is remembered: a server whose listener closed before the restart is still found by rule 2 when its port is outside the range, but inside it (a `listen(0)` port, or a range widened over service ports) rule 5 guesses, and gets it wrong for a peer port below the service port;',
    '- a client that binds a low source port towards a higher service port (NFS with `resvport`, rsh) with no listener on either here is counted as a server under its source port (rule 5);',
    `- a connection between two ports that both look ephemeral (an outgoing connection to a service on a port inside our range or above ${IANA_DYNAMIC_LOW}, FTP passive data) is decided by memory, else by rule 5;`,
    '- a port the kernel hands to `connect()` after a listener on it closed is remembered as a service port while that listener\'s sockets live;',
    '- with `--collector.netns`, every namespace\'s roles use the exporter\'s namespace\'s range and no memory (one walk per namespace per cycle).',
    '',
  ];
}

export function cardinalitySection(): string[] {
  return [
    '## Label cardinality',
    '',
    `\`tcpstate_port_sockets\` names at most \`--collector.ports.max-server\` ports of server sockets and \`--collector.ports.top-client\` remote ports of client sockets, busiest first. In each role the other sockets are summed in two buckets, both always present: \`port="ephemeral"\` for ports inside \`ip_local_port_range\` (the ports \`listen(0)\` servers, test runners and RPC services get from the kernel, new ones at every start; and the peers' ports of a service in the range), and \`port="other"\` for ports beyond the caps or not admitted yet. \`--collector.ports.ephemeral-by-number\` reports ports inside the range like any other (no \`"ephemeral"\` bucket then); ports given with \`--collector.ports.pin\` are always reported, in both roles and even at zero, on top of the caps, and never folded. On a host whose range starts below ${DEFAULT_EPHEMERAL_RANGE.low} (widened over service ports) the exporter logs a warning once: pin those services, or report ports by number. Every socket is counted in exactly one port value of its role, so summing over \`port\` gives the per-state totals of the role.`,
    '',
    `Worst case with the defaults (${S} server ports, ${C} client ports, nothing pinned): (${S} + 2) × 11 + (${C} + 2) × 10 = **${worstCasePortSeries(DEFAULT_PORT_LIMITS)} series** for \`tcpstate_port_sockets\` (a client socket is never LISTEN, so \`role="client",state="listen"\` is not served: 10 states for client ports), plus at most (${S} + 2) × 4 listen-queue series (length, backlog, fill ratio, listeners) and (${S} + 2) × 3 + (${C} + 2) × 3 = ${worstCaseKeepaliveSeries(DEFAULT_PORT_LIMITS)} per-port keepalive series (both roles). In general, for S server ports, C client ports, P pinned ports and B buckets (2, or 1 with \`--collector.ports.ephemeral-by-number\`): (S + P + B) × 11 + (C + P + B) × 10 port series, (S + P + B) × 4 listen-queue series and (S + P + B) × 3 + (C + P + B) × 3 keepalive series, whatever the number of sockets or ports in use.`,
    '',
    `The opt-in families are bounded the same way: \`tcpstate_ephemeral_port_destination_ports\` has 2 × \`--collector.ephemeral.top-destinations\` series (TIME_WAIT and other; default ${2 * K}) and \`tcpstate_ephemeral_port_destination_usage_ratio\` one per destination (default ${K}); \`tcpstate_process_sockets\` at most \`--collector.processes.top\` × 11 (default ${DEFAULT_PROCESS_OPTIONS.top * 11}: the top processes of each state, with or without the pid label); \`tcpstate_netns_sockets\` \`--collector.netns.max\` × 11 (default ${DEFAULT_NETNS_OPTIONS.max * 11}), and with \`--collector.netns.ports\` \`tcpstate_netns_port_sockets\` adds up to max × ((${DEFAULT_NETNS_OPTIONS.serverPorts} + 2) × 11 + (${DEFAULT_NETNS_OPTIONS.clientPorts} + 2) × 10) (default ${DEFAULT_NETNS_OPTIONS.max * ((DEFAULT_NETNS_OPTIONS.serverPorts + 2) * 11 + (DEFAULT_NETNS_OPTIONS.clientPorts + 2) * 10)}; lower \`--collector.netns.max\` on dense nodes); with \`--collector.connections\` too, the per-namespace closed-connection families add max × 7 (default ${DEFAULT_NETNS_OPTIONS.max * 7}; see Closed connections).`,
    '',
    '### Series churn',
    '',
    'Each new label value is a new series in every TSDB that scrapes the exporter, kept there for its retention, so the caps alone do not bound storage: ports and destinations that take turns in the top K would mint a series at every turn. Which ports and destinations hold a label value therefore changes slowly:',
    '',
    `- **admission**: a port gets series of its own once it has been in use for \`--collector.series.admit-cycles\` consecutive cycles (default ${ADMIT}: a minute at the default 15 s interval) and ranks among the K busiest of its role, into a free slot; a destination once it has ranked among the K busiest for as many cycles. Those in use at the exporter's first cycle get them at once (a restart names the same ports again, so it mints nothing new). Until then the sockets are counted in \`port="other"\`;`,
    `- **keep**: a port or destination keeps its label value while it is in use, and for \`--collector.series.keep-cycles\` cycles (default ${KEEP}: 10 minutes at 15 s) after its last use, at zero;`,
    '- **take-over**: when every slot is taken, a newcomer that qualifies for admission may take the slot of the one with the lowest peak (its highest count, halving every keep-cycles cycles). A port takes it with at least twice that peak, from one that has held its slot for keep-cycles cycles or more: a new heavy hitter (a CLOSE_WAIT leak on a new port) gets its own series within admit-cycles + keep-cycles cycles. A destination takes it when it is running out of ports, with at most half the usable ports left that the holder had left at its peak (so past half the range), from one that has held its slot admit-cycles cycles: within admit-cycles cycles, e.g. at the pressure alert\'s 80 % over any holder below 60 %; or with at least twice that peak once it has ranked among the K busiest for keep-cycles consecutive cycles, from one that has held its slot as long. Ports or destinations of similar counts never trade places, nor do destinations of a few ports each that take turns in the top K (one of them is twice the weakest holder\'s decayed peak now and then by chance, which the port rule would take for a new heavy hitter);',
    '- **stable ranks**: `rank` on the destination series is the slot a destination holds, not its place in this cycle\'s order (order by value: `topk`, `sort_desc`), so a reshuffle of the top K mints nothing;',
    '- **bound**: at most K slots per role (plus the pinned ports and the two buckets) and K destination slots at any time, and a slot changes hands at most once every keep-cycles cycles: over a window of W cycles a role shows at most P + 2 + K × (1 + W / keep-cycles) port values, and the destination series at most K × (1 + W / keep-cycles) destinations, whatever the host does, as long as no destination holds more than half its usable ports; one that does may take a slot once every admit-cycles cycles. A port or destination busy for fewer than admit-cycles cycles never gets a value of its own.',
    '',
    '`--collector.series.keep-cycles=0` turns the memory off: the K busiest of each cycle that are admitted (with `--collector.series.admit-cycles=0` too, the per-cycle top K of earlier versions; destination ranks then follow this cycle\'s order). The per-namespace port series of `--collector.netns.ports` are chosen per cycle without hysteresis.',
    '',
  ];
}

export function queueBytesSection(): string[] {
  return [
    '## Queue bytes',
    '',
    '`tcpstate_receive_queue_bytes` and `tcpstate_send_queue_bytes` count data bytes. The kernel reports rcv_nxt − copied_seq and write_seq − snd_una for both sources (`tcp_diag_get_info()`, `get_tcp4_sock()`), and a SYN or FIN takes one sequence number, so its figures are one higher than the data in these states (checked on real sockets, netlink and /proc/net/tcp alike):',
    '',
    '| state | receive queue as the kernel reports it | send queue as the kernel reports it |',
    '| --- | --- | --- |',
    '| SYN_SENT | 0 | data + 1 (our SYN) |',
    '| FIN_WAIT1 | data | data + 1 (our FIN, unacknowledged) |',
    '| CLOSE_WAIT | data + 1 (the peer\'s FIN) until the application reads the end of stream, then 0 | data |',
    '| LAST_ACK | data + 1 while the peer\'s FIN is unread | data + 1 (our FIN) |',
    '| CLOSING | data + 1 while the peer\'s FIN is unread | data + 1 (our FIN) |',
    '| TIME_WAIT | 0 (a TIME_WAIT socket has no queues) | 0 |',
    '',
    'The exporter takes the one off in exactly those cells: an idle CLOSE_WAIT socket reads 0, not 1, and one with 100 unread bytes reads 100. Other states carry data only.',
    '',
  ];
}
