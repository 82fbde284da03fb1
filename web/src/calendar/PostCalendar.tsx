import type { DatesSetArg, EventClickArg, EventDropArg } from '@fullcalendar/core';
import dayGridPlugin from '@fullcalendar/daygrid';
import interactionPlugin, { type DropArg } from '@fullcalendar/interaction';
import luxonPlugin from '@fullcalendar/luxon3';
import FullCalendar from '@fullcalendar/react';
import timeGridPlugin from '@fullcalendar/timegrid';
import { DateTime } from 'luxon';
import { useMemo, useRef, useState } from 'react';
import type { Post } from '../api/types.ts';
import { localeFirstDay, uses12HourClock } from '../lib/zone.ts';
import { MORE_PREFIX, toEvents } from './events.ts';

const VIEWS = ['dayGridMonth', 'timeGridWeek', 'timeGridDay'];
const TIME_FORMAT = { hour: '2-digit', minute: '2-digit', meridiem: 'short' } as const;

/**
 * FullCalendar in the user's named zone (Luxon plugin): events are UTC instants, shown and
 * dragged in that zone; the callbacks hand back ISO strings with the zone's offset.
 */
export function PostCalendar(props: {
  zone: string;
  posts: Post[];
  /** Where the calendar opens (from the address: ?view=…&date=…). */
  initial?: { view?: string | null; date?: string | null };
  onRange: (range: { from: string; to: string }, place: { view: string; date: string }) => void;
  onMove: (id: string, startIso: string, revert: () => void) => void;
  onDropDraft: (id: string, at: { dateStr: string; allDay: boolean }) => void;
  onOpen: (id: string) => void;
}) {
  const phone = useMemo(() => window.matchMedia('(max-width: 700px)').matches, []);
  const hour12 = useMemo(uses12HourClock, []);
  const firstDay = useMemo(localeFirstDay, []);
  const timeFormat = { ...TIME_FORMAT, hour12 };
  const initialView = VIEWS.includes(props.initial?.view ?? '') ? props.initial!.view! : phone ? 'timeGridDay' : 'dayGridMonth';
  const [view, setView] = useState(initialView);
  const calendar = useRef<FullCalendar>(null);
  const events = useMemo(() => toEvents(props.posts, { zone: props.zone, perDay: view === 'dayGridMonth' ? 3 : undefined }), [props.posts, props.zone, view]);
  return (
    <FullCalendar
      plugins={[dayGridPlugin, timeGridPlugin, interactionPlugin, luxonPlugin]}
      timeZone={props.zone}
      locale={navigator.language}
      firstDay={firstDay}
      initialView={initialView}
      initialDate={props.initial?.date && /^\d{4}-\d{2}-\d{2}$/.test(props.initial.date) ? props.initial.date : undefined}
      headerToolbar={phone ? { left: 'prev,next', center: 'title', right: 'today' } : { left: 'prev,next today', center: 'title', right: 'dayGridMonth,timeGridWeek,timeGridDay' }}
      footerToolbar={phone ? { center: 'dayGridMonth,timeGridWeek,timeGridDay' } : undefined}
      // Words, not icon-font arrows (those are unnamed images to a screen reader).
      buttonIcons={false}
      buttonText={{ prev: '‹ Previous', next: 'Next ›', today: 'Today', month: 'Month', week: 'Week', day: 'Day' }}
      buttonHints={{ prev: 'Previous $0', next: 'Next $0', today: 'Go to $0' }}
      // A day of time slots is tall: the week and day views get a window that scrolls (opening at 08:00).
      height={view.startsWith('timeGrid') ? (phone ? 640 : 760) : 'auto'}
      ref={calendar}
      events={events}
      eventDisplay="block"
      eventTimeFormat={timeFormat}
      slotLabelFormat={timeFormat}
      defaultTimedEventDuration="00:30"
      displayEventEnd={false}
      nowIndicator
      allDaySlot={false}
      scrollTime="08:00:00"
      editable
      eventDurationEditable={false}
      droppable
      eventInteractive
      datesSet={(arg: DatesSetArg) => {
        setView(arg.view.type);
        props.onRange(
          { from: arg.start.toISOString(), to: arg.end.toISOString() },
          { view: arg.view.type, date: arg.view.calendar.formatIso(arg.view.currentStart, true) },
        );
      }}
      // Nothing can be scheduled in the past: the drop is refused as the pointer moves there.
      // (A whole day, in the month view, is allowed from today on: the time decides later.)
      // A day cell is named by its date link only, hiding the posts in it from its name.
      dayCellDidMount={(arg) => arg.el.removeAttribute('aria-labelledby')}
      eventAllow={(span) => (span.allDay ? span.endStr.slice(0, 10) > DateTime.now().setZone(props.zone).toISODate()! : Date.parse(span.startStr) > Date.now())}
      eventDrop={(arg: EventDropArg) => props.onMove(arg.event.id, arg.event.startStr, arg.revert)}
      drop={(arg: DropArg) => {
        const id = arg.draggedEl.dataset.postId;
        if (id) props.onDropDraft(id, { dateStr: arg.dateStr, allDay: arg.allDay });
      }}
      eventClick={(arg: EventClickArg) => {
        arg.jsEvent.preventDefault();
        if (arg.event.id.startsWith(MORE_PREFIX)) calendar.current?.getApi().changeView('timeGridDay', arg.event.id.slice(MORE_PREFIX.length));
        else props.onOpen(arg.event.id);
      }}
    />
  );
}

