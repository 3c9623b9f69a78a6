/**
 * @module demo/routes/projects
 * `GET /v1/projects` (`listProjects`, paginated), `POST /v1/projects` (`createProject`, developer),
 * `GET|PATCH|DELETE /v1/projects/{projectId}` (`getProject`; `updateProject`, developer; `deleteProject`, owner,
 * only when the project has no databases left).
 */
import { Elysia } from 'elysia';
import { findOrg, projectFor, READ, requireRole, type Need } from '../access';
import { authenticated } from '../auth';
import { noContent, type DemoContext } from '../context';
import { conflict } from '../errors';
import { newId } from '../ids';
import { paginate } from '../pagination';
import { renderProject } from '../render';
import { CreateProjectBody, ListProjectsQuery, UpdateProjectBody } from '../schemas';
import type { DemoStore, ProjectRecord } from '../store';
import { readBody, readQuery } from '../validate';

const CREATE: Need = { role: 'developer', action: 'creating a project' };
const UPDATE: Need = { role: 'developer', action: 'changing a project' };
const DELETE: Need = { role: 'owner', action: 'deleting a project' };

/** Newest first; the id breaks ties so pages never overlap. */
const newestFirst = (a: ProjectRecord, b: ProjectRecord) => b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id);

function assertNameFree(store: DemoStore, orgId: string, name: string, except?: string): void {
  for (const project of store.projects.values()) {
    if (project.org_id === orgId && project.name === name && project.id !== except) {
      throw conflict('name_taken', `a project named "${name}" already exists in organization ${orgId}`);
    }
  }
}

export const projectRoutes = ({ store, sessions }: DemoContext) =>
  new Elysia({ prefix: '/v1' })
    .use(authenticated(store, sessions))
    .get('/projects', function listProjects({ user, query, request, set }) {
      const { org_id, page, per_page } = readQuery(ListProjectsQuery, query);
      let orgIds: Set<string>;
      if (org_id !== undefined) {
        requireRole(store, user, findOrg(store, org_id), READ);
        orgIds = new Set([org_id]);
      } else {
        orgIds = new Set(store.orgsOf(user.id).map((org) => org.id));
      }
      const visible = [...store.projects.values()].filter((project) => orgIds.has(project.org_id)).sort(newestFirst);
      const { body, headers } = paginate(visible, { page, perPage: per_page, url: request.url });
      Object.assign(set.headers, headers);
      return { ...body, items: body.items.map((project) => renderProject(store, project)) };
    })
    .post('/projects', function createProject({ user, body, set }) {
      const input = readBody(CreateProjectBody, body);
      const org = findOrg(store, input.org_id);
      requireRole(store, user, org, CREATE);
      assertNameFree(store, org.id, input.name);
      const now = store.iso();
      const project: ProjectRecord = {
        id: newId('prj'),
        org_id: org.id,
        name: input.name,
        description: input.description ?? '',
        ...(input.default_region && { default_region: input.default_region }),
        created_at: now,
        updated_at: now,
      };
      store.projects.set(project.id, project);
      set.status = 201;
      return renderProject(store, project);
    })
    .get('/projects/:projectId', function getProject({ user, params }) {
      return renderProject(store, projectFor(store, user, params.projectId, READ));
    })
    .patch('/projects/:projectId', function updateProject({ user, params, body }) {
      const input = readBody(UpdateProjectBody, body);
      const project = projectFor(store, user, params.projectId, UPDATE);
      if (input.name !== undefined) assertNameFree(store, project.org_id, input.name, project.id);
      if (input.name !== undefined) project.name = input.name;
      if (input.description !== undefined) project.description = input.description;
      if (input.default_region !== undefined) project.default_region = input.default_region;
      project.updated_at = store.iso();
      return renderProject(store, project);
    })
    .delete('/projects/:projectId', function deleteProject({ user, params }) {
      const project = projectFor(store, user, params.projectId, DELETE);
      const left = store.databasesOf(project.id).length;
      if (left > 0) {
        throw conflict('project_not_empty', `project ${project.name} still has ${left} database${left === 1 ? '' : 's'}: delete them first`);
      }
      store.projects.delete(project.id);
      return noContent();
    });
