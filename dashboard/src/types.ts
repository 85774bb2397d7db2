// The shapes of the public API's JSON (docs/openapi.yaml), as far as the dashboard reads them.

export type FieldType = "text" | "number" | "money" | "date" | "table";
export type CellType = Exclude<FieldType, "table">;
export type DateOrder = "day_month_year" | "month_day_year";
export type DecimalSeparator = "." | ",";
export type MatchMode = "first" | "last" | "all" | "sum" | "min" | "max" | "join";

export interface TableColumn {
  name: string;
  header: string;
  type?: CellType;
}

export type FieldRule =
  | { kind: "label"; label: string; direction?: "right" | "below" }
  | { kind: "regex"; pattern: string; group?: number | null }
  | { kind: "region"; page?: number | null; x: number; y: number; width: number; height: number }
  | { kind: "table"; columns: TableColumn[]; stop?: string[] };

export interface FieldSpec {
  name: string;
  type: FieldType;
  rule: FieldRule;
  match?: MatchMode;
  separator?: string;
}

export interface TemplateInput {
  name: string;
  fields: FieldSpec[];
  date_order: DateOrder | null;
  decimal_separator: DecimalSeparator | null;
}

export interface Template extends TemplateInput {
  id: string;
  created_at: string;
  updated_at: string;
}

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
export const HTTP_METHODS: HttpMethod[] = ["POST", "PUT", "PATCH", "GET", "DELETE"];

export type EndpointAuth =
  | { type: "none" }
  | { type: "fixed"; authorization: string }
  | {
      type: "token_url";
      url: string;
      method?: HttpMethod;
      headers?: Record<string, string>;
      body?: unknown;
      token_attribute: string;
      scheme?: string;
    };

export interface WebhookInput {
  template_id: string;
  name: string;
  url: string;
  method: HttpMethod;
  headers: Record<string, string>;
  enabled?: boolean;
  event_types?: string[];
  auth: EndpointAuth;
}

export interface WebhookEndpoint {
  id: string;
  template_id: string;
  name: string;
  url: string;
  method: HttpMethod;
  headers: Record<string, string>;
  enabled: boolean;
  /** Why pagewire switched it off (a 410, or a run of failed deliveries); null otherwise. */
  disabled_reason: string | null;
  /** When pagewire switched it off. */
  disabled_at: string | null;
  event_types: string[];
  auth: EndpointAuth;
  created_at: string;
  updated_at: string;
  secret?: string;
}

/** The answer of `POST /webhooks/{id}/recover`. */
export interface Recovery {
  queued: number;
  /** Failed deliveries may remain: call again. */
  more: boolean;
}

export interface DeliveryAttempt {
  webhook_id: string;
  endpoint_id: string;
  job_id: string | null;
  document_id: string | null;
  event_type: string;
  attempt: number;
  attempted_at: string;
  status_code: number | null;
  latency_ms: number;
  error_class: string | null;
  error: string | null;
}

export interface Failure {
  code: string;
  message: string;
}

export interface Delivery {
  endpoint_id: string;
  webhook_id: string;
  event_type: string;
  status: "pending" | "succeeded" | "failed";
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: string | null;
}

export interface DocumentStatus {
  document_id: string;
  file_name: string;
  status: string;
  pages: number;
  error: Failure | null;
  deliveries: Delivery[];
}

export interface JobStatus {
  job_id: string;
  template_id: string;
  status: string;
  file_name: string;
  pages: number;
  credits_charged: number;
  documents_total: number | null;
  documents_completed: number;
  error: Failure | null;
  created_at: string;
  completed_at: string | null;
  expires_at: string;
  documents: DocumentStatus[];
}

export interface FieldWarning {
  code: string;
  message: string;
}

export interface ExtractedField {
  name: string;
  value: unknown;
  raw: string | null;
  page: number | null;
  box?: { x: number; y: number; width: number; height: number } | null;
  confidence: number | null;
  warnings?: FieldWarning[];
}

export interface DocumentResult {
  document_id: string;
  file_name: string;
  status: string;
  pages: number;
  result: Record<string, unknown> | null;
  fields: ExtractedField[] | null;
  error: Failure | null;
}

export interface JobResults {
  job_id: string;
  template_id: string;
  status: string;
  documents: DocumentResult[];
}

export interface Accepted {
  job_id: string;
  template_id: string;
}

/** A job is done changing once it reaches one of these. */
export const FINAL_JOB_STATUSES = ["SUCCESS", "FAILED"];

/** `POST /templates/preview`: the sample's pages and words, and the fields a job would extract. */
export interface PreviewWord {
  text: string;
  box: { x: number; y: number; width: number; height: number };
  confidence: number;
}

export interface PreviewPage {
  number: number;
  aspect: number;
  source: "text_layer" | "ocr";
  words: PreviewWord[];
}

export interface Preview {
  file_kind: "pdf" | "png" | "jpeg" | "tiff" | "webp";
  pages: PreviewPage[];
  fields: ExtractedField[];
}
