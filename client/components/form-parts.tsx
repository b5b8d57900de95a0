import type { InputHTMLAttributes, ReactNode } from 'react';

/** A labelled input with its API error next to it. */
export function Field({
  id,
  label,
  error,
  hint,
  prefix,
  ...input
}: {
  id: string;
  label: string;
  error?: string | undefined;
  hint?: ReactNode;
  prefix?: string;
} & Omit<InputHTMLAttributes<HTMLInputElement>, 'id' | 'prefix'>) {
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [errorId, hintId].filter(Boolean).join(' ') || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className={prefix ? 'input-affix' : undefined}>
        {prefix && (
          <span className="input-prefix" aria-hidden="true">
            {prefix}
          </span>
        )}
        <input id={id} name={id} aria-invalid={error ? true : undefined} aria-describedby={describedBy} {...input} />
      </div>
      {hint && (
        <p id={hintId} className="field-hint">
          {hint}
        </p>
      )}
      <FieldError id={errorId} message={error} />
    </div>
  );
}

export function FieldError({ id, message }: { id: string | undefined; message: string | undefined }) {
  if (!message || !id) return null;
  return (
    <p id={id} className="field-error" role="alert">
      {message}
    </p>
  );
}

/** Errors that belong to no field, at the top of a form. */
export function FormErrors({ messages }: { messages: string[] }) {
  if (messages.length === 0) return null;
  return (
    <div className="notice notice-error" role="alert">
      {messages.length === 1 ? (
        <p>{messages[0]}</p>
      ) : (
        <ul>
          {messages.map((m) => (
            <li key={m}>{m}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

/**
 * The form's submit button: disabled, with a spinner, while the request runs (its name stays the
 * same); `disabled` for a form that cannot be sent now for another reason.
 */
export function SubmitButton({
  pending,
  disabled = false,
  children,
  className = 'button button-primary',
}: {
  pending: boolean;
  disabled?: boolean;
  children: ReactNode;
  className?: string;
}) {
  return (
    <button type="submit" className={className} disabled={pending || disabled} aria-busy={pending || undefined}>
      {children}
    </button>
  );
}
