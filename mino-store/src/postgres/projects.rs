//! Projects and their instruction versions.

use chrono::{DateTime, Utc};
use mino_core::model::{
    AgentConfig, InstructionVersion, NewProject, OutputField, Project, ProjectId, ProjectSettings,
    ProjectUpdate,
};
use mino_core::store::{Cursor, Page, PageRequest};
use mino_core::{Error, Result};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use super::codec::{id_page, push_id_page, to_i32, to_u32};
use super::error::DbResultExt;

const PROJECT_COLUMNS: &str = "id, name, description, instructions, output_fields, agent, \
     settings, instruction_version, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct ProjectRow {
    id: Uuid,
    name: String,
    description: String,
    instructions: String,
    output_fields: Json<Vec<OutputField>>,
    agent: Json<AgentConfig>,
    settings: Json<ProjectSettings>,
    instruction_version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl ProjectRow {
    fn into_model(self) -> Result<Project> {
        Ok(Project {
            id: ProjectId(self.id),
            name: self.name,
            description: self.description,
            instructions: self.instructions,
            output_fields: self.output_fields.0,
            agent: self.agent.0,
            settings: self.settings.0,
            instruction_version: to_u32(self.instruction_version, "instruction_version")?,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    project_id: Uuid,
    version: i32,
    instructions: String,
    output_fields: Json<Vec<OutputField>>,
    created_at: DateTime<Utc>,
}

impl VersionRow {
    fn into_model(self) -> Result<InstructionVersion> {
        Ok(InstructionVersion {
            project_id: ProjectId(self.project_id),
            version: to_u32(self.version, "instruction version")?,
            instructions: self.instructions,
            output_fields: self.output_fields.0,
            created_at: self.created_at,
        })
    }
}

pub(crate) async fn create(pool: &PgPool, new: NewProject) -> Result<Project> {
    new.validate()?;
    let mut tx = pool.begin().await.db()?;
    let sql = format!(
        "INSERT INTO projects (id, name, description, instructions, output_fields, agent, \
         settings, instruction_version) VALUES ($1, $2, $3, $4, $5, $6, $7, 1) \
         RETURNING {PROJECT_COLUMNS}"
    );
    let row: ProjectRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(ProjectId::new().0)
        .bind(&new.name)
        .bind(&new.description)
        .bind(&new.instructions)
        .bind(Json(&new.output_fields))
        .bind(Json(&new.agent))
        .bind(Json(&new.settings))
        .fetch_one(&mut *tx)
        .await
        .db()?;
    insert_version(&mut tx, row.id, 1, &new.instructions, &new.output_fields).await?;
    tx.commit().await.db()?;
    row.into_model()
}

pub(crate) async fn get(pool: &PgPool, id: ProjectId) -> Result<Project> {
    let sql = format!("SELECT {PROJECT_COLUMNS} FROM projects WHERE id = $1");
    sqlx::query_as::<_, ProjectRow>(sqlx::AssertSqlSafe(sql))
        .bind(id.0)
        .fetch_optional(pool)
        .await
        .db()?
        .ok_or_else(|| Error::not_found("project", id))?
        .into_model()
}

pub(crate) async fn list(pool: &PgPool, page: PageRequest) -> Result<Page<Project>> {
    let mut qb =
        QueryBuilder::<Postgres>::new(format!("SELECT {PROJECT_COLUMNS} FROM projects WHERE true"));
    push_id_page(&mut qb, &page)?;
    let rows: Vec<ProjectRow> = qb.build_query_as().fetch_all(pool).await.db()?;
    let projects = rows
        .into_iter()
        .map(ProjectRow::into_model)
        .collect::<Result<Vec<_>>>()?;
    Ok(id_page(projects, &page, |p| p.id.0))
}

pub(crate) async fn update(pool: &PgPool, id: ProjectId, update: ProjectUpdate) -> Result<Project> {
    update.validate()?;
    let mut tx = pool.begin().await.db()?;
    // The row lock orders concurrent updates, so two of them never make the same version.
    let sql = format!("SELECT {PROJECT_COLUMNS} FROM projects WHERE id = $1 FOR UPDATE");
    let current = sqlx::query_as::<_, ProjectRow>(sqlx::AssertSqlSafe(sql))
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await
        .db()?
        .ok_or_else(|| Error::not_found("project", id))?
        .into_model()?;

    let instructions = update.instructions.unwrap_or(current.instructions.clone());
    let output_fields = update
        .output_fields
        .unwrap_or(current.output_fields.clone());
    let mut version = current.instruction_version;
    if instructions != current.instructions || output_fields != current.output_fields {
        version += 1;
        let number = to_i32(version, "instruction_version")?;
        insert_version(&mut tx, id.0, number, &instructions, &output_fields).await?;
    }

    let sql = format!(
        "UPDATE projects SET name = $2, description = $3, instructions = $4, \
         output_fields = $5, agent = $6, settings = $7, instruction_version = $8, \
         updated_at = now() WHERE id = $1 RETURNING {PROJECT_COLUMNS}"
    );
    let row: ProjectRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id.0)
        .bind(update.name.unwrap_or(current.name))
        .bind(update.description.unwrap_or(current.description))
        .bind(&instructions)
        .bind(Json(&output_fields))
        .bind(Json(update.agent.unwrap_or(current.agent)))
        .bind(Json(update.settings.unwrap_or(current.settings)))
        .bind(to_i32(version, "instruction_version")?)
        .fetch_one(&mut *tx)
        .await
        .db()?;
    tx.commit().await.db()?;
    row.into_model()
}

pub(crate) async fn delete(pool: &PgPool, id: ProjectId) -> Result<()> {
    let mut tx = pool.begin().await.db()?;
    // Jobs go first, by the project index: left to the cascade from executions, each of a
    // million jobs would first get its execution_id set to NULL and only then be deleted.
    sqlx::query("DELETE FROM jobs WHERE project_id = $1")
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .db()?;
    let deleted = sqlx::query("DELETE FROM projects WHERE id = $1")
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .db()?
        .rows_affected();
    if deleted == 0 {
        return Err(Error::not_found("project", id));
    }
    tx.commit().await.db()?;
    Ok(())
}

/// A project's versions; like every list, an unknown project gives an empty page.
pub(crate) async fn list_versions(
    pool: &PgPool,
    project: ProjectId,
    page: PageRequest,
) -> Result<Page<InstructionVersion>> {
    let mut qb = QueryBuilder::<Postgres>::new(
        "SELECT project_id, version, instructions, output_fields, created_at \
         FROM instruction_versions WHERE project_id = ",
    );
    qb.push_bind(project.0);
    if let Some(cursor) = page.cursor {
        qb.push(" AND version > ").push_bind(cursor.seq()?);
    }
    qb.push(" ORDER BY version LIMIT ")
        .push_bind(i64::from(page.limit()) + 1);
    let rows: Vec<VersionRow> = qb.build_query_as().fetch_all(pool).await.db()?;
    let versions = rows
        .into_iter()
        .map(VersionRow::into_model)
        .collect::<Result<Vec<_>>>()?;
    Ok(Page::from_rows(versions, page.limit(), |v| {
        Cursor::Seq(i64::from(v.version))
    }))
}

pub(crate) async fn get_version(
    pool: &PgPool,
    project: ProjectId,
    version: u32,
) -> Result<InstructionVersion> {
    let number = i64::from(version);
    let row: Option<VersionRow> = sqlx::query_as(
        "SELECT project_id, version, instructions, output_fields, created_at \
         FROM instruction_versions WHERE project_id = $1 AND version = $2",
    )
    .bind(project.0)
    .bind(number)
    .fetch_optional(pool)
    .await
    .db()?;
    match row {
        Some(row) => row.into_model(),
        None => {
            ensure_exists(pool, project).await?;
            Err(Error::not_found("instruction version", version)
                .with_context("project_id", project.to_string()))
        }
    }
}

/// A not-found error naming the project when it does not exist.
async fn ensure_exists(pool: &PgPool, project: ProjectId) -> Result<()> {
    let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM projects WHERE id = $1")
        .bind(project.0)
        .fetch_optional(pool)
        .await
        .db()?;
    found
        .map(|_| ())
        .ok_or_else(|| Error::not_found("project", project))
}

async fn insert_version(
    conn: &mut PgConnection,
    project: Uuid,
    version: i32,
    instructions: &str,
    output_fields: &[OutputField],
) -> Result<()> {
    sqlx::query(
        "INSERT INTO instruction_versions (project_id, version, instructions, output_fields) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(project)
    .bind(version)
    .bind(instructions)
    .bind(Json(output_fields))
    .execute(conn)
    .await
    .db()?;
    Ok(())
}
