import { useMemo } from 'react';
import { allZones } from '../lib/zone.ts';

/** A time-zone picker (IANA names, "America/New York"), for patterns, queues and imports. */
export function ZoneSelect(props: { id: string; value: string; onChange: (zone: string) => void; invalid?: boolean; describedBy?: string }) {
  const zones = useMemo(() => allZones(props.value), [props.value]);
  return (
    <select
      id={props.id}
      value={props.value}
      aria-invalid={props.invalid || undefined}
      aria-describedby={props.describedBy}
      onChange={(e) => props.onChange(e.target.value)}
    >
      {zones.map((z) => (
        <option key={z} value={z}>
          {z.replace(/_/g, ' ')}
        </option>
      ))}
    </select>
  );
}
