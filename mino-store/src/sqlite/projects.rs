//! Projects and their instruction versions.

use rusqlite::{Connection, OptionalExtension, Row};

use super::error::SqlResultExt;
use super::page;
use super::row::{json, json_at, micros, now, time_at, u32_at, uuid_at};
use mino_core::model::{
    InstructionVersion, NewProject, OutputField, Project, ProjectId, ProjectUpdate,
};
use mino_core::store::{Page, PageRequest};
use mino_core::{Error, Result};

const COLUMNS: &str = "id, name, description, instructions, output_fields, agent, settings, \
                       instruction_version, created_at, updated_at";

fn from_row(row: &Row<'_>) -> rusqlite::Result<Project> {
    Ok(Project {
        id: ProjectId(uuid_at(row, 0)?),
        name: row.get(1)?,
        description: row.get(2)?,
        instructions: row.get(3)?,
        output_fields: json_at(row, 4)?,
        agent: json_at(row, 5)?,
        settings: json_at(row, 6)?,
        instruction_version: u32_at(row, 7)?,
        created_at: time_at(row, 8)?,
        updated_at: time_at(row, 9)?,
    })
}

fn version_from_row(row: &Row<'_>) -> rusqlite::Result<InstructionVersion> {
    Ok(InstructionVersion {
        project_id: ProjectId(uuid_at(row, 0)?),
        version: u32_at(row, 1)?,
        instructions: row.get(2)?,
        output_fields: json_at(row, 3)?,
        created_at: time_at(row, 4)?,
    })
}

/// Creates a project and its instruction version 1.
pub(crate) fn create(conn: &Connection, new: NewProject) -> Result<Project> {
    new.validate()?;
    let at = now();
    let project = Project {
        id: ProjectId::new(),
        name: new.name,
        description: new.description,
        instructions: new.instructions,
        output_fields: new.output_fields,
        agent: new.agent,
        settings: new.settings,
        instruction_version: 1,
        created_at: at,
        updated_at: at,
    };
    let (fields, agent, settings) = (
        json(&project.output_fields)?,
        json(&project.agent)?,
        json(&project.settings)?,
    );
    conn.prepare_cached(&format!(
        "INSERT INTO projects ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)"
    ))
    .and_then(|mut stmt| {
        stmt.execute(rusqlite::params![
            project.id.0.as_bytes(),
            project.name,
            project.description,
            project.instructions,
            fields,
            agent,
            settings,
            project.instruction_version,
            micros(at),
        ])
    })
    .db("insert a project")?;
    insert_version(
        conn,
        project.id,
        1,
        &project.instructions,
        &project.output_fields,
        at,
    )?;
    Ok(project)
}

fn insert_version(
    conn: &Connection,
    project: ProjectId,
    version: u32,
    instructions: &str,
    output_fields: &[OutputField],
    at: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let fields = json(output_fields)?;
    conn.prepare_cached(
        "INSERT INTO instruction_versions (project_id, version, instructions, output_fields, \
         created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .and_then(|mut stmt| {
        stmt.execute((
            project.0.as_bytes(),
            version,
            instructions,
            fields,
            micros(at),
        ))
    })
    .db("insert an instruction version")?;
    Ok(())
}

/// Gets a project.
pub(crate) fn get(conn: &Connection, id: ProjectId) -> Result<Project> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM projects WHERE id = ?1"))
        .and_then(|mut stmt| stmt.query_row([id.0.as_bytes()], from_row).optional())
        .db("read a project")?
        .ok_or_else(|| Error::not_found("project", id))
}

/// Fails with NotFound unless the project exists.
pub(crate) fn ensure_exists(conn: &Connection, id: ProjectId) -> Result<()> {
    let found = conn
        .prepare_cached("SELECT 1 FROM projects WHERE id = ?1")
        .and_then(|mut stmt| stmt.exists([id.0.as_bytes()]))
        .db("look up a project")?;
    if found {
        Ok(())
    } else {
        Err(Error::not_found("project", id))
    }
}

/// Lists projects by id.
pub(crate) fn list(conn: &Connection, page: &PageRequest) -> Result<Page<Project>> {
    let after = page::after_id(page)?;
    let rows = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM projects WHERE id > ?1 ORDER BY id LIMIT ?2"
        ))
        .and_then(|mut stmt| {
            stmt.query_map((after, page::fetch(page)), from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .db("list projects")?;
    Ok(page::by_id(rows, page, |p| p.id.0))
}

/// Updates a project; a change of instructions or output fields makes a new version.
pub(crate) fn update(conn: &Connection, id: ProjectId, update: ProjectUpdate) -> Result<Project> {
    update.validate()?;
    let mut project = get(conn, id)?;
    let at = now();
    let mut new_version = false;
    if let Some(instructions) = update.instructions {
        new_version |= instructions != project.instructions;
        project.instructions = instructions;
    }
    if let Some(fields) = update.output_fields {
        new_version |= fields != project.output_fields;
        project.output_fields = fields;
    }
    if let Some(name) = update.name {
        project.name = name;
    }
    if let Some(description) = update.description {
        project.description = description;
    }
    if let Some(agent) = update.agent {
        project.agent = agent;
    }
    if let Some(settings) = update.settings {
        project.settings = settings;
    }
    if new_version {
        project.instruction_version += 1;
        insert_version(
            conn,
            id,
            project.instruction_version,
            &project.instructions,
            &project.output_fields,
            at,
        )?;
    }
    project.updated_at = at;
    let (fields, agent, settings) = (
        json(&project.output_fields)?,
        json(&project.agent)?,
        json(&project.settings)?,
    );
    conn.prepare_cached(
        "UPDATE projects SET name = ?2, description = ?3, instructions = ?4, output_fields = ?5, \
         agent = ?6, settings = ?7, instruction_version = ?8, updated_at = ?9 WHERE id = ?1",
    )
    .and_then(|mut stmt| {
        stmt.execute(rusqlite::params![
            id.0.as_bytes(),
            project.name,
            project.description,
            project.instructions,
            fields,
            agent,
            settings,
            project.instruction_version,
            micros(at),
        ])
    })
    .db("update a project")?;
    Ok(project)
}

/// Deletes a project; foreign keys delete everything under it.
pub(crate) fn delete(conn: &Connection, id: ProjectId) -> Result<()> {
    let deleted = conn
        .prepare_cached("DELETE FROM projects WHERE id = ?1")
        .and_then(|mut stmt| stmt.execute([id.0.as_bytes()]))
        .db("delete a project")?;
    if deleted == 0 {
        return Err(Error::not_found("project", id));
    }
    Ok(())
}

/// Lists a project's instruction versions by number (none for a missing project).
pub(crate) fn list_versions(
    conn: &Connection,
    project: ProjectId,
    page: &PageRequest,
) -> Result<Page<InstructionVersion>> {
    let after = page::after_seq(page)?;
    let rows = conn
        .prepare_cached(
            "SELECT project_id, version, instructions, output_fields, created_at \
             FROM instruction_versions WHERE project_id = ?1 AND version > ?2 \
             ORDER BY version LIMIT ?3",
        )
        .and_then(|mut stmt| {
            stmt.query_map(
                (project.0.as_bytes(), after, page::fetch(page)),
                version_from_row,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()
        })
        .db("list instruction versions")?;
    Ok(page::by_seq(rows, page, |v| i64::from(v.version)))
}

/// Gets one instruction version.
pub(crate) fn get_version(
    conn: &Connection,
    project: ProjectId,
    version: u32,
) -> Result<InstructionVersion> {
    ensure_exists(conn, project)?;
    conn.prepare_cached(
        "SELECT project_id, version, instructions, output_fields, created_at \
         FROM instruction_versions WHERE project_id = ?1 AND version = ?2",
    )
    .and_then(|mut stmt| {
        stmt.query_row((project.0.as_bytes(), version), version_from_row)
            .optional()
    })
    .db("read an instruction version")?
    .ok_or_else(|| {
        Error::not_found(
            "instruction version",
            format!("{version} of project {project}"),
        )
    })
}
