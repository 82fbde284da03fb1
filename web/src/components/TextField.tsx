import type { InputHTMLAttributes, ReactNode } from 'react';
import { FieldError } from './feedback.tsx';

type InputProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'id' | 'onChange' | 'aria-describedby' | 'aria-invalid'>;

/**
 * A labelled input with its hint and its error, read together (aria-describedby; aria-invalid while
 * there is an error). onValue gets the text typed; reconnectFocus marks the field a reconnect
 * focuses first (data-reconnect-focus). Any other prop goes to the input as is.
 */
export function TextField({
  id,
  label,
  hint,
  error = null,
  onValue,
  reconnectFocus = false,
  ...input
}: InputProps & {
  id: string;
  label: string;
  hint?: ReactNode;
  error?: string | null;
  onValue: (value: string) => void;
  reconnectFocus?: boolean;
}) {
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        {...input}
        onChange={(e) => onValue(e.target.value)}
        aria-describedby={describedBy}
        aria-invalid={error ? true : undefined}
        {...(reconnectFocus && { 'data-reconnect-focus': '' })}
      />
      {hint && (
        <small id={`${id}-hint`} className="muted">
          {hint}
        </small>
      )}
      <FieldError id={`${id}-error`} message={error} />
    </div>
  );
}
