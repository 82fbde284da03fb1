import { useMutation, useQueryClient } from '@tanstack/react-query';
import { DateTime } from 'luxon';
import { type ChangeEvent, type FormEvent, useId, useMemo, useState } from 'react';
import { ApiError } from '../api/client.ts';
import { importCsv, keys, useAccounts } from '../api/queries.ts';
import type { ImportProblem, ImportResult, ImportRow } from '../api/types.ts';
import { ErrorNote, announce } from '../components/feedback.tsx';
import { PageTitle } from '../components/Layout.tsx';
import { ZoneSelect } from '../components/ZoneSelect.tsx';
import { plainWords } from '../lib/field-errors.ts';
import { Link } from '../lib/router.tsx';
import { formatWhen, useZone, zoneLabel } from '../lib/zone.ts';

/** The server takes 20 MB at most (10,000 rows are 1-3 MB). */
const MAX_BYTES = 20 * 1024 * 1024;

/** docs/csv-import.md, in short. */
const COLUMNS: [string, string][] = [
  ['content', 'The text of the post (the only column required).'],
  ['scheduled_at', 'A local date and time, "2027-03-14 09:00", or an instant with Z or an offset. Empty: add to the posting queue (rows take the slots in file order).'],
  ['timezone', 'The zone of this row’s local time, like Europe/Berlin. Default: the zone chosen on this page.'],
  ['accounts', 'Account ids (acc_…), separated by spaces, ; , or |.'],
  ['platforms', 'Network names (webhook, bluesky…): your one active account there.'],
  ['preset_id', 'A preset’s id. A row naming no account, platform or preset goes to your default preset.'],
  ['image_urls', 'Image addresses separated by |.'],
  ['alt_texts', 'Alt texts separated by |, in the order of image_urls.'],
  ['stagger_minutes', 'Minutes between the networks of the post (0 to 1440).'],
];

type Outcome = { kind: 'checked'; result: ImportResult } | { kind: 'imported'; result: ImportResult } | { kind: 'bad'; errors: ImportProblem[] };

/**
 * CSV import (docs/csv-import.md): choose or paste a file, Check (a dry run: every bad row with its
 * line and reason, or the time each row gets), then Import — all rows or none.
 */
export function ImportPage() {
  const userZone = useZone();
  const accounts = useAccounts();
  const client = useQueryClient();
  const uid = useId();
  const id = (name: string) => `${uid}-${name}`;
  const [csv, setCsv] = useState('');
  const [fileName, setFileName] = useState<string | null>(null);
  const [fileProblem, setFileProblem] = useState<string | null>(null);
  const [zone, setZone] = useState(userZone);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  /** What the last successful check was run on: Import is offered for exactly that. */
  const [checkedFor, setCheckedFor] = useState<string | null>(null);
  const current = `${zone}\n${csv}`;
  const canImport = outcome?.kind === 'checked' && checkedFor === current;

  const run = useMutation({
    mutationFn: (dryRun: boolean) => importCsv({ csv, dry_run: dryRun, timezone: zone }),
    onMutate: () => setOutcome(null),
    onSuccess: (result, dryRun) => {
      if (dryRun) {
        setOutcome({ kind: 'checked', result });
        setCheckedFor(current);
        announce(`All ${result.rows.length} rows can be imported. Check their times, then press Import.`);
      } else {
        setOutcome({ kind: 'imported', result });
        setCheckedFor(null);
        announce(`${result.imported} post${result.imported === 1 ? '' : 's'} imported.`);
        void client.invalidateQueries({ queryKey: keys.posts });
      }
    },
    onError: (err) => {
      const errors = err instanceof ApiError ? (err.details.errors as ImportProblem[] | undefined) : undefined;
      if (errors?.length) {
        setOutcome({ kind: 'bad', errors });
        setCheckedFor(null);
      }
    },
  });
  const otherError = run.error && outcome?.kind !== 'bad' ? run.error : null;

  const chooseFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    setFileProblem(null);
    if (!file) return;
    if (file.size > MAX_BYTES) {
      setFileProblem(`${file.name} is ${(file.size / 1024 / 1024).toFixed(1)} MB; at most 20 MB can be imported at once. Split it into smaller files.`);
      return;
    }
    setFileName(file.name);
    setCsv(await file.text());
    setOutcome(null);
  };
  const check = (e: FormEvent) => {
    e.preventDefault();
    if (csv.trim() === '') return setFileProblem('Choose a CSV file or paste its content first.');
    setFileProblem(null);
    run.mutate(true);
  };

  const accountName = (accountId: string) => accounts.data?.find((a) => a.id === accountId)?.display_name ?? accountId;
  const example = useMemo(() => exampleCsv(userZone), [userZone]);

  return (
    <>
      <PageTitle>Import</PageTitle>
      <p className="muted">
        Schedule many posts at once from a CSV file (a spreadsheet saved as CSV). Every row is checked first: if any row is wrong, nothing is imported.
      </p>
      <form className="panel stack" onSubmit={check} aria-labelledby={id('form-title')}>
        <h2 id={id('form-title')} className="h3">Your file</h2>
        <div className="field">
          <label htmlFor={id('file')}>CSV file</label>
          <input id={id('file')} type="file" accept=".csv,text/csv,text/plain" onChange={(e) => void chooseFile(e)} />
          {fileName && <small className="muted">Read from {fileName}: you can still edit it below.</small>}
        </div>
        <div className="field">
          <label htmlFor={id('csv')}>Or paste the CSV</label>
          <textarea
            id={id('csv')}
            className="mono"
            rows={8}
            spellCheck={false}
            value={csv}
            placeholder={'content,scheduled_at,platforms\n"Hello!",2027-03-15 09:00,webhook'}
            onChange={(e) => {
              setCsv(e.target.value);
              setFileName(null);
            }}
          />
        </div>
        <div className="field zone-field">
          <label htmlFor={id('zone')}>Time zone of the local times</label>
          <ZoneSelect id={id('zone')} value={zone} onChange={setZone} describedBy={id('zone-hint')} />
          <small id={id('zone-hint')} className="muted">
            For rows without a timezone column. Instants with Z or an offset are exact anyway.
          </small>
        </div>
        {fileProblem && <p className="field-error" role="alert">{fileProblem}</p>}
        <ErrorNote error={otherError} title="Not imported:" />
        <div className="actions">
          <button type="submit" className={canImport ? 'button' : 'button primary'} disabled={run.isPending}>
            {run.isPending && run.variables ? 'Checking…' : 'Check'}
          </button>
          <button type="button" className={canImport ? 'button primary' : 'button'} disabled={!canImport || run.isPending} onClick={() => run.mutate(false)}>
            {run.isPending && run.variables === false ? 'Importing…' : outcome?.kind === 'checked' ? `Import ${outcome.result.rows.length} post${outcome.result.rows.length === 1 ? '' : 's'}` : 'Import'}
          </button>
          {!canImport && outcome?.kind !== 'imported' && <span className="muted small">Check the file first; Import is then possible.</span>}
        </div>
      </form>

      {outcome?.kind === 'bad' && <BadRows errors={outcome.errors} />}
      {outcome?.kind === 'checked' && (
        <section className="panel stack" aria-labelledby={id('ok-title')}>
          <h2 id={id('ok-title')} className="h3">Ready to import: {outcome.result.rows.length} rows</h2>
          <p className="muted small">Nothing is written yet. Times in {zoneLabel(userZone)}.</p>
          <Rows rows={outcome.result.rows} zone={userZone} accountName={accountName} />
        </section>
      )}
      {outcome?.kind === 'imported' && (
        <section className="panel stack" aria-labelledby={id('done-title')}>
          <h2 id={id('done-title')} className="h3">
            {outcome.result.imported} post{outcome.result.imported === 1 ? '' : 's'} imported
          </h2>
          <p className="row wrap">
            <Link to={calendarLink(outcome.result.rows, userZone)}>See them on the calendar</Link>
            <Link to="/posts">All posts</Link>
          </p>
          <Rows rows={outcome.result.rows} zone={userZone} accountName={accountName} linked />
        </section>
      )}

      <section className="panel stack" aria-labelledby={id('help-title')}>
        <h2 id={id('help-title')} className="h3">The format</h2>
        <p className="small">
          UTF-8, comma-separated, the first line naming the columns (in any order). Quote a field containing commas, quotes or line breaks:{' '}
          <code>"a ""quoted"" word, and a comma"</code>. An unknown column is refused, so a typo cannot go unnoticed.
        </p>
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Columns of the CSV file</caption>
            <thead>
              <tr>
                <th scope="col">Column</th>
                <th scope="col">Meaning</th>
              </tr>
            </thead>
            <tbody>
              {COLUMNS.map(([name, meaning]) => (
                <tr key={name}>
                  <td className="nowrap"><code>{name}</code></td>
                  <td>{meaning}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p className="small">
          Local times follow daylight saving: a time that does not exist (02:30 when clocks go forward) moves forward by the gap, one that exists twice
          takes the first; both are flagged. Times in the past are refused.
        </p>
        <p>
          <a className="button small" href={`data:text/csv;charset=utf-8,${encodeURIComponent(example)}`} download="octopost-example.csv">
            Download an example file
          </a>
        </p>
      </section>
    </>
  );
}

function BadRows({ errors }: { errors: ImportProblem[] }) {
  const titleId = useId();
  const lines = new Set(errors.map((e) => e.line)).size;
  return (
    <section className="panel stack" aria-labelledby={titleId}>
      <h2 id={titleId} className="h3">
        {lines} row{lines === 1 ? '' : 's'} to fix
      </h2>
      <p className="note note-error" role="alert">
        Nothing was imported. Fix {lines === 1 ? 'this row' : 'these rows'} in your file, then press Check again.
      </p>
      <div className="table-wrap">
        <table>
          <caption className="visually-hidden">Rows that cannot be imported</caption>
          <thead>
            <tr>
              <th scope="col">Line</th>
              <th scope="col">Column</th>
              <th scope="col">Problem</th>
            </tr>
          </thead>
          <tbody>
            {errors.map((e, i) => (
              <tr key={i} className="row-bad">
                <td>{e.line}</td>
                <td className="nowrap"><code>{e.field}</code></td>
                <td className="break">{plainWords(e.message)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function Rows({ rows, zone, accountName, linked }: { rows: ImportRow[]; zone: string; accountName: (id: string) => string; linked?: boolean }) {
  return (
    <div className="table-wrap">
      <table>
        <caption className="visually-hidden">{linked ? 'Imported posts' : 'Rows to import'}</caption>
        <thead>
          <tr>
            <th scope="col">Line</th>
            <th scope="col">Goes out</th>
            <th scope="col">Accounts</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            const shownLocal = row.scheduled_for ? DateTime.fromISO(row.scheduled_for, { zone }).toFormat("yyyy-MM-dd'T'HH:mm") : null;
            return (
              <tr key={row.line} className={row.adjusted ? 'row-adjusted' : undefined}>
                <td>{linked && row.post_id ? <Link to={`/posts/${row.post_id}`}>Line {row.line}<span className="visually-hidden">: open the post</span></Link> : row.line}</td>
                <td>
                  {row.scheduled_for ? <span className="nowrap">{formatWhen(row.scheduled_for, zone)}</span> : <span className="muted">No time</span>}
                  {row.queued && <> <span className="badge badge-queued">Queue</span></>}
                  {row.local_time && shownLocal !== row.local_time && <span className="muted small"> (in the file’s zone: {row.local_time.replace('T', ' ')})</span>}
                  {row.adjusted && (
                    <div className="small">
                      <span className="badge badge-adjusted">Adjusted</span> {row.reason}
                    </div>
                  )}
                </td>
                <td className="break">{row.accounts.map(accountName).join(', ')}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** The calendar's month of the first imported post. */
function calendarLink(rows: ImportRow[], zone: string): string {
  const first = rows.map((r) => r.scheduled_for).filter((t): t is string => !!t).sort()[0];
  return first ? `/calendar?view=dayGridMonth&date=${DateTime.fromISO(first, { zone }).toISODate()}` : '/calendar';
}

/** The documented example, with dates next month in the user's zone (a fixed date would one day be past). */
function exampleCsv(zone: string): string {
  const day = DateTime.now().setZone(zone).plus({ months: 1 }).set({ day: 15 });
  const at = (d: DateTime) => `${d.toFormat('yyyy-MM-dd')} 09:00`;
  return [
    'content,scheduled_at,timezone,platforms,image_urls,alt_texts',
    `"Spring sale starts today!",${at(day)},${zone},webhook,https://example.com/sale.png,A red sale banner`,
    `"Reminder: 2 days left",${at(day.plus({ days: 2 }))},${zone},webhook,,`,
    '"Evergreen tip, queued",,,webhook,,',
    '',
  ].join('\n');
}
