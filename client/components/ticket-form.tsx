'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import type { Ticket } from '@ticketing/contracts';
import { api, noErrors, splitErrors, type SplitErrors } from '@/lib/browser-api';
import { Field, FormErrors, SubmitButton } from './form-parts';

const FIELDS = ['title', 'price'] as const;

/** "12.50" -> 12.5; anything that is not a plain decimal goes to the API as typed, for its message. */
function priceValue(raw: string): number | string | null {
  const text = raw.trim().replace(/^\$/, '');
  if (text === '') return null;
  return /^[0-9]+(\.[0-9]*)?$|^\.[0-9]+$/.test(text) ? Number(text) : text;
}

/** Sell a ticket (POST /api/tickets) or edit one (PUT /api/tickets/:id). */
export function TicketForm({ ticket }: { ticket?: Ticket }) {
  const router = useRouter();
  const [pending, setPending] = useState(false);
  const [errors, setErrors] = useState<SplitErrors>(noErrors);
  const editing = ticket !== undefined;

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    setErrors(noErrors);
    const body = { title: String(form.get('title') ?? ''), price: priceValue(String(form.get('price') ?? '')) };
    const res = editing
      ? await api<Ticket>('PUT', `/api/tickets/${ticket.id}`, body)
      : await api<Ticket>('POST', '/api/tickets', body);
    if (res.ok) {
      router.push(`/tickets/${res.data.id}`);
      router.refresh();
      return;
    }
    if (res.status === 401) {
      window.location.assign(`/auth/signin?next=${encodeURIComponent(window.location.pathname)}`);
      return;
    }
    setErrors(splitErrors(res.errors, FIELDS));
    setPending(false);
  }

  return (
    <form className="card form" onSubmit={onSubmit} noValidate aria-labelledby="ticket-form-heading">
      <h1 id="ticket-form-heading">{editing ? 'Edit ticket' : 'Sell a ticket'}</h1>
      <FormErrors messages={errors.general} />
      <Field id="title" label="Title" type="text" autoComplete="off" defaultValue={ticket?.title} error={errors.fields.title} />
      <Field
        id="price"
        label="Price"
        type="text"
        inputMode="decimal"
        autoComplete="off"
        prefix="$"
        hint="In US dollars, at least 0.50 (the smallest card payment), for example 25 or 12.50."
        defaultValue={ticket ? String(ticket.price) : undefined}
        error={errors.fields.price}
      />
      <div className="form-actions">
        <SubmitButton pending={pending}>{editing ? 'Save changes' : 'Sell ticket'}</SubmitButton>
        {editing && (
          <Link className="button button-ghost" href={`/tickets/${ticket.id}`}>
            Cancel
          </Link>
        )}
      </div>
    </form>
  );
}
