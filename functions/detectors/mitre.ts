/**
 * The MITRE ATT&CK release every detector's technique refers to. Pinned in this one place:
 * technique ids and names are checked against this version (Enterprise matrix, IaaS platform), in
 * test/fixtures/attack-enterprise-v18.json, which names its source and how each name was checked.
 */
export const ATTACK_VERSION = 'v18' as const;

/**
 * Link to a technique page of the pinned release, e.g. T1562.008 →
 * https://attack.mitre.org/versions/v18/techniques/T1562/008/ (the live site follows the newest
 * release, where v19 replaced the T1562 family).
 */
export function techniqueUrl(id: string): string {
  return `https://attack.mitre.org/versions/${ATTACK_VERSION}/techniques/${id.replace('.', '/')}/`;
}
