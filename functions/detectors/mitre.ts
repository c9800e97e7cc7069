/**
 * The MITRE ATT&CK release every detector's technique refers to. Pinned in this one place:
 * technique ids and names are checked against this version (Enterprise matrix, IaaS platform).
 */
export const ATTACK_VERSION = 'v18' as const;

/** Link to a technique page, e.g. T1562.008 → https://attack.mitre.org/techniques/T1562/008/ */
export function techniqueUrl(id: string): string {
  return `https://attack.mitre.org/techniques/${id.replace('.', '/')}/`;
}
