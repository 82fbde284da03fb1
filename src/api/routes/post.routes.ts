import { z } from 'zod';
import type { App } from '../../app.js';
import { DomainError } from '../../core/errors.js';
import { userIdOf } from '../auth.js';
import { presentPost } from '../presenters.js';
import { errorResponses, IdParams } from '../schemas/common.schemas.js';
import { CreatePostBody, ListPostsQuery, PostList, PostWire, RetryBody, ScheduleBody, UpdatePostBody } from '../schemas/post.schemas.js';
import type { TypedServer } from './route-types.js';

const read = { scope: 'posts:read' };
const write = { scope: 'posts:write' };
const tags = ['posts'];

export function postRoutes(server: TypedServer, { services }: App) {
  const { posts, postQueries } = services;
  const view = async (userId: string, id: string) => presentPost(await postQueries.get(userId, id));

  server.post('/v1/posts', {
    config: write,
    schema: { tags, summary: 'Create a post (a draft, or scheduled when scheduled_for is given)', body: CreatePostBody, response: { 201: PostWire, ...errorResponses } },
  }, async (request, reply) => {
    const { thread, segments, ...rest } = request.body;
    const userId = userIdOf(request);
    const post = await spelledAs(segments === undefined && thread !== undefined, () => posts.create(userId, { ...rest, segments: segments ?? thread }));
    return reply.code(201).send(await view(userId, post.id));
  });

  server.get('/v1/posts', {
    config: read,
    schema: { tags, summary: 'List posts, newest first', querystring: ListPostsQuery, response: { 200: PostList, ...errorResponses } },
  }, async (request) => {
    const q = request.query;
    const { views, nextCursor } = await postQueries.list(userIdOf(request), {
      statuses: q.status,
      accountId: q.account,
      from: q.from,
      to: q.to,
      limit: q.limit,
      cursor: q.cursor,
    });
    return { posts: views.map(presentPost), next_cursor: nextCursor };
  });

  server.get('/v1/posts/:id', {
    config: read,
    schema: { tags, summary: 'One post, with its deliveries and their attempt history', params: IdParams, response: { 200: PostWire, ...errorResponses } },
  }, async (request) => view(userIdOf(request), request.params.id));

  server.put('/v1/posts/:id', {
    config: write,
    schema: {
      tags,
      summary: 'Change a draft or scheduled post (fields left out stay as they are); 409 once publishing',
      params: IdParams,
      body: UpdatePostBody,
      response: { 200: PostWire, ...errorResponses },
    },
  }, async (request) => {
    const { thread, segments, ...rest } = request.body;
    const userId = userIdOf(request);
    await spelledAs(segments === undefined && thread !== undefined, () => posts.update(userId, request.params.id, { ...rest, segments: segments ?? thread }));
    return view(userId, request.params.id);
  });

  server.delete('/v1/posts/:id', {
    config: write,
    schema: { tags, summary: 'Delete a post (a scheduled one is cancelled first); 409 while publishing', params: IdParams, response: { 204: z.null(), ...errorResponses } },
  }, async (request, reply) => {
    await posts.delete(userIdOf(request), request.params.id);
    return reply.code(204).send(null);
  });

  server.post('/v1/posts/:id/schedule', {
    config: write,
    schema: { tags, summary: 'Schedule a draft, or move a scheduled post', params: IdParams, body: ScheduleBody, response: { 200: PostWire, ...errorResponses } },
  }, async (request) => {
    const userId = userIdOf(request);
    await posts.schedule(userId, request.params.id, request.body.scheduled_for);
    return view(userId, request.params.id);
  });

  server.post('/v1/posts/:id/cancel', {
    config: write,
    schema: { tags, summary: 'Unschedule: scheduled → draft, its time cleared', params: IdParams, response: { 200: PostWire, ...errorResponses } },
  }, async (request) => {
    const userId = userIdOf(request);
    await posts.cancel(userId, request.params.id);
    return view(userId, request.params.id);
  });

  server.post('/v1/posts/:id/stop', {
    config: write,
    schema: {
      tags,
      summary: 'Stop what a post being published still has to do; 409 if nothing is left to stop',
      description:
        'A delivery waiting for a retry ends `failed` (Retry sends it again), or `unknown` where a repeat could post twice (see a platform\'s `deduplicates_within_seconds`); one not yet tried (a stagger, a cross-link waiting for its primary) is `cancelled`. A delivery being sent right now finishes its attempt and shows `stop_requested: true` meanwhile: if the attempt publishes, it is published; if it would be retried, it ends as a waiting retry would. 409 when the post is not `publishing`, or when it was already stopped and only such attempts are left.',
      params: IdParams,
      response: { 200: PostWire, ...errorResponses },
    },
  }, async (request) => {
    const userId = userIdOf(request);
    await posts.stop(userId, request.params.id);
    return view(userId, request.params.id);
  });

  server.post('/v1/posts/:id/publish', {
    config: write,
    schema: { tags, summary: 'Publish now', params: IdParams, response: { 202: PostWire, ...errorResponses } },
  }, async (request, reply) => {
    const userId = userIdOf(request);
    await posts.publishNow(userId, request.params.id);
    return reply.code(202).send(await view(userId, request.params.id));
  });

  server.post('/v1/posts/:id/retry', {
    config: write,
    schema: {
      tags,
      summary: 'Retry now the failed and unknown deliveries, each with a fresh retry budget; 409 if none',
      params: IdParams,
      body: RetryBody,
      response: { 202: PostWire, ...errorResponses },
    },
  }, async (request, reply) => {
    const userId = userIdOf(request);
    await posts.retry(userId, request.params.id, request.body.accounts);
    return reply.code(202).send(await view(userId, request.params.id));
  });
}

/** An error about `segments` names the field as the request spelled it when it used the `thread` alias. */
async function spelledAs<T>(usedThread: boolean, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const field = err instanceof DomainError ? err.details.field : undefined;
    if (!usedThread || typeof field !== 'string' || !field.startsWith('segments')) throw err;
    const rename = (text: string) => text.replaceAll('segments', 'thread');
    const details = { ...(err as DomainError).details, field: rename(field) };
    throw new DomainError((err as DomainError).code, rename((err as DomainError).message), details);
  }
}
