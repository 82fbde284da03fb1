import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, query } from './client.ts';
import type {
  Account,
  ApiKey,
  BulkScheduleBody,
  BulkScheduleResult,
  ImportResult,
  Me,
  Platform,
  Post,
  PostingQueue,
  PostInput,
  PostList,
  PostStatus,
  Preset,
  QueueSlot,
  Session,
} from './types.ts';

/** Server state, by TanStack Query: one hook per read, mutations that refresh what they change. */
export const keys = {
  session: ['session'] as const,
  me: ['me'] as const,
  accounts: ['accounts'] as const,
  presets: ['presets'] as const,
  platforms: ['platforms'] as const,
  apiKeys: ['api-keys'] as const,
  posts: ['posts'] as const,
  post: (id: string) => ['post', id] as const,
  // Under posts: a post scheduled, moved or deleted changes which slots are filled.
  queue: (accountId: string) => ['posts', 'queue', accountId] as const,
};

export const useSession = () => useQuery({ queryKey: keys.session, queryFn: () => api<Session>('GET', '/v1/session'), staleTime: 60_000 });
export const useMe = () => useQuery({ queryKey: keys.me, queryFn: () => api<Me>('GET', '/v1/me'), staleTime: 60_000 });
export const useAccounts = () =>
  useQuery({ queryKey: keys.accounts, queryFn: async () => (await api<{ accounts: Account[] }>('GET', '/v1/accounts')).accounts });
export const usePresets = () =>
  useQuery({ queryKey: keys.presets, queryFn: async () => (await api<{ presets: Preset[] }>('GET', '/v1/presets')).presets });
export const usePlatforms = () =>
  useQuery({
    queryKey: keys.platforms,
    queryFn: async () => (await api<{ platforms: Platform[] }>('GET', '/v1/platforms')).platforms,
    staleTime: Infinity,
  });
export const useApiKeys = () => useQuery({ queryKey: keys.apiKeys, queryFn: async () => (await api<{ keys: ApiKey[] }>('GET', '/v1/keys')).keys });

/** While a post is going out its deliveries change by themselves: poll until it settles. */
const isMoving = (post: Post | undefined) =>
  !!post && (post.status === 'publishing' || post.deliveries.some((d) => d.status === 'publishing' || d.status === 'retrying'));

export const usePost = (id: string) =>
  useQuery({
    queryKey: keys.post(id),
    queryFn: () => api<Post>('GET', `/v1/posts/${encodeURIComponent(id)}`),
    refetchInterval: (q) => (isMoving(q.state.data) ? 2000 : false),
  });

/** The Posts list: newest first, a page at a time. */
export const usePostPages = (statuses: PostStatus[]) =>
  useInfiniteQuery({
    queryKey: [...keys.posts, 'list', statuses],
    queryFn: ({ pageParam }) => api<PostList>('GET', `/v1/posts${query({ status: statuses, limit: 50, cursor: pageParam })}`),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    refetchInterval: (q) => (q.state.data?.pages.some((p) => p.posts.some(isMoving)) ? 3000 : false),
  });

/** Every post of a time range (the calendar's visible dates), all pages. */
export async function fetchPostsInRange(range: { from: string; to: string }, filter: { account?: string; statuses?: PostStatus[] }): Promise<Post[]> {
  const posts: Post[] = [];
  let cursor: string | undefined;
  do {
    const page = await api<PostList>(
      'GET',
      `/v1/posts${query({ from: range.from, to: range.to, account: filter.account, status: filter.statuses, limit: 500, cursor })}`,
    );
    posts.push(...page.posts);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return posts;
}

export const useDrafts = () =>
  useQuery({
    queryKey: [...keys.posts, 'drafts'],
    queryFn: async () => (await api<PostList>('GET', `/v1/posts${query({ status: 'draft', limit: 500 })}`)).posts,
  });

/** Mutations on posts refresh every post list and the post itself. */
export function usePostMutation<TArgs>(run: (args: TArgs) => Promise<Post>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: run,
    onSuccess: (post) => {
      client.setQueryData(keys.post(post.id), post);
      void client.invalidateQueries({ queryKey: keys.posts });
    },
  });
}

export const postActions = {
  create: (input: PostInput) => api<Post>('POST', '/v1/posts', input),
  update: (id: string, input: Partial<PostInput>) => api<Post>('PUT', `/v1/posts/${encodeURIComponent(id)}`, input),
  schedule: (id: string, scheduledFor: string) => api<Post>('POST', `/v1/posts/${encodeURIComponent(id)}/schedule`, { scheduled_for: scheduledFor }),
  cancel: (id: string) => api<Post>('POST', `/v1/posts/${encodeURIComponent(id)}/cancel`, {}),
  publish: (id: string) => api<Post>('POST', `/v1/posts/${encodeURIComponent(id)}/publish`, {}),
  retry: (id: string) => api<Post>('POST', `/v1/posts/${encodeURIComponent(id)}/retry`, {}),
  /** Ends what a post being published still has waiting. */
  stop: (id: string) => api<Post>('POST', `/v1/posts/${encodeURIComponent(id)}/stop`, {}),
  remove: (id: string) => api<void>('DELETE', `/v1/posts/${encodeURIComponent(id)}`),
  /** Into the next slot free on all its accounts' posting queues. */
  queue: (id: string) => api<Post>('POST', `/v1/posts/${encodeURIComponent(id)}/queue`, {}),
};

/** Bulk scheduling: the preview writes nothing; apply schedules all the drafts or none. */
export const bulkActions = {
  preview: (body: BulkScheduleBody) => api<BulkScheduleResult>('POST', '/v1/bulk-schedule/preview', body),
  apply: (body: BulkScheduleBody) => api<BulkScheduleResult>('POST', '/v1/bulk-schedule', body),
};

/** An account's posting queue: weekly slots and the upcoming ones (`days` ahead), filled or empty. */
export const useQueue = (accountId: string, days = 14) =>
  useQuery({
    queryKey: [...keys.queue(accountId), days],
    queryFn: () => api<PostingQueue>('GET', `/v1/accounts/${encodeURIComponent(accountId)}/queue${query({ days })}`),
  });

export const queueActions = {
  save: (accountId: string, body: { timezone: string; slots: QueueSlot[] }) =>
    api<PostingQueue>('PUT', `/v1/accounts/${encodeURIComponent(accountId)}/queue`, body),
};

/** CSV import: a dry run checks every row and writes nothing; the import is all rows or none. */
export const importCsv = (body: { csv: string; dry_run: boolean; timezone?: string }) => api<ImportResult>('POST', '/v1/imports/csv', body);
