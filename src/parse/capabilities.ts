/** Capability numbers this exporter's hints name (include/uapi/linux/capability.h). */
export const CAPABILITIES = {
  CAP_DAC_READ_SEARCH: 2,
  CAP_SYS_PTRACE: 19,
} as const;

export type CapabilityName = keyof typeof CAPABILITIES;

/** "CapEff:\t000001ffffffffff": the effective set as 16 hex digits, bit n for capability n. */
const CAP_EFF = /^CapEff:\s*([0-9a-fA-F]{1,16})$/m;

/**
 * The effective capability set in the text of /proc/<pid>/status (fs/proc/array.c,
 * task_cap() → render_cap_t(): `CapEff:\t%016llx` of cred->cap_effective), as a bit mask; undefined
 * when the line is missing or malformed. The set is that of the process's own user namespace: a
 * root in a rootless container shows every bit and still cannot act on the host's processes.
 */
export function parseEffectiveCapabilities(status: string): bigint | undefined {
  const m = CAP_EFF.exec(status);
  return m ? BigInt(`0x${m[1]!}`) : undefined;
}

/** Whether capability `name` is in the set `effective` (parseEffectiveCapabilities). */
export function hasCapability(effective: bigint, name: CapabilityName): boolean {
  return ((effective >> BigInt(CAPABILITIES[name])) & 1n) === 1n;
}
