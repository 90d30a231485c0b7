/**
 * The tables the report figures read. A standalone centre or a county reads its own; the city reads
 * the report_* views, which put beside its own rows what its counties pushed (第二十五、二十六条;
 * migrations/20261203100000_network_report_rows.ts), so the city's figures per centre and its county
 * scores (第二十八条) include the networked counties.
 */
export interface ReportSources {
  calls: string;
  missedCalls: string;
  tickets: string;
  events: string;
  units: string;
  deadlines: string;
  visits: string;
}

export const LOCAL_SOURCES: ReportSources = {
  calls: 'calls', missedCalls: 'missed_calls', tickets: 'tickets', events: 'ticket_events', units: 'ticket_units', deadlines: 'ticket_deadlines', visits: 'ticket_visits',
};

export const NETWORK_SOURCES: ReportSources = {
  calls: 'report_calls', missedCalls: 'report_missed_calls', tickets: 'report_tickets', events: 'report_ticket_events', units: 'report_ticket_units', deadlines: 'report_ticket_deadlines', visits: 'report_ticket_visits',
};
