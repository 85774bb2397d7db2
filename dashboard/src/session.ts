// What the dashboard remembers, in this tab's sessionStorage only: the API key (never written anywhere
// else), the API base URL, and the ids of the jobs submitted in this session (the API has no job list).

const KEY = "pagewire.apiKey";
const BASE = "pagewire.apiBase";
const JOBS = "pagewire.jobs";

export interface SubmittedJob {
  job_id: string;
  template_id: string;
  file_name: string;
  submitted_at: string;
}

export function apiKey(): string | null {
  return sessionStorage.getItem(KEY);
}

export function apiBase(): string {
  return sessionStorage.getItem(BASE) ?? "";
}

export function signIn(key: string, base: string): void {
  sessionStorage.setItem(KEY, key);
  sessionStorage.setItem(BASE, base);
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(JOBS);
}

export function submittedJobs(): SubmittedJob[] {
  try {
    const jobs: unknown = JSON.parse(sessionStorage.getItem(JOBS) ?? "[]");
    return Array.isArray(jobs) ? (jobs as SubmittedJob[]) : [];
  } catch {
    return [];
  }
}

export function rememberJob(job: SubmittedJob): void {
  const jobs = submittedJobs().filter((j) => j.job_id !== job.job_id);
  jobs.unshift(job);
  sessionStorage.setItem(JOBS, JSON.stringify(jobs));
}

export function forgetJob(jobId: string): void {
  const jobs = submittedJobs().filter((j) => j.job_id !== jobId);
  sessionStorage.setItem(JOBS, JSON.stringify(jobs));
}
