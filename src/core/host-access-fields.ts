/**
 * Fields people bring from `docker run` or Compose that would hand a service the host: privileges,
 * capabilities, devices, the host's namespaces. The service schema has none of them (unknown fields are
 * refused); this names why, so the 400 says it is on purpose and not a spelling mistake. Pure.
 */
const REASONS: Record<string, string> = {
  privileged: 'Paz never runs privileged containers',
  capAdd: 'Paz adds no capabilities to a container',
  cap_add: 'Paz adds no capabilities to a container',
  capabilities: 'Paz adds no capabilities to a container',
  devices: 'Paz gives no host devices to a service',
  networkMode: "services never share the host's network namespace",
  network_mode: "services never share the host's network namespace",
  hostNetwork: "services never share the host's network namespace",
  pidMode: "services never share the host's pid namespace",
  pid: "services never share the host's pid namespace",
  ipcMode: "services never share the host's IPC namespace",
  ipc: "services never share the host's IPC namespace",
  securityOpt: 'Paz sets the security options itself (no-new-privileges)',
  security_opt: 'Paz sets the security options itself (no-new-privileges)',
  user: 'the process driver runs units as the user the host admin chose (--unit-user)',
};

/** Why a service may not ask for `field`, when it is one of those; undefined otherwise. */
export function hostAccessFieldReason(field: string): string | undefined {
  return Object.hasOwn(REASONS, field) ? REASONS[field] : undefined;
}
