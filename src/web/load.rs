//! One way to find a record and open the transaction that changes it: look it up among
//! the municipalities the user may read (404 when it is not there, so a foreign id reveals
//! nothing), then open a write transaction on the municipalities it belongs to, refused
//! with 403 unless the user holds the write permission in every one of them, and read it
//! again inside that transaction, because that is the state the change is made to.

use std::future::Future;

use sqlx::PgConnection;
use uuid::Uuid;

use crate::auth::policy::Roles;
use crate::db::Tx;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};

/// A record that belongs to one or more municipalities and is found by id.
pub trait Located: Sized + Send {
    /// Records that span municipalities (a shared office's meeting) are looked up in all
    /// of the user's municipalities, whatever the switcher shows.
    const ACROSS_SWITCHER: bool = false;

    /// The record, when it belongs to one of `visible`.
    fn find(
        conn: &mut PgConnection,
        visible: &[Uuid],
        id: Uuid,
    ) -> impl Future<Output = sqlx::Result<Option<Self>>> + Send;

    /// The municipalities it belongs to; a change needs the write permission in each.
    fn owners(&self) -> Vec<Uuid>;
}

/// `Located` for a record of one municipality (its `municipality_id` field), found by a
/// repo function `find(conn, visible, id) -> sqlx::Result<Option<T>>`: the shape of every
/// record except a shared office's meeting.
macro_rules! located {
    ($record:ty => $find:path) => {
        impl $crate::web::load::Located for $record {
            async fn find(
                conn: &mut ::sqlx::PgConnection,
                visible: &[::uuid::Uuid],
                id: ::uuid::Uuid,
            ) -> ::sqlx::Result<Option<Self>> {
                $find(conn, visible, id).await
            }

            fn owners(&self) -> Vec<::uuid::Uuid> {
                vec![self.municipality_id]
            }
        }
    };
}
pub(crate) use located;

impl Ctx {
    /// The record in a read transaction over the municipalities where the user holds
    /// `read`: 404 when it is not among them.
    pub async fn load<T: Located>(&self, read: impl Roles, id: Uuid) -> AppResult<(Tx, T)> {
        let (mut tx, visible) = if T::ACROSS_SWITCHER {
            self.all_roles_tx(read).await?
        } else {
            let (tx, munis) = self.read_tx(read).await?;
            (tx, munis.iter().map(|m| m.id).collect())
        };
        let record = T::find(&mut tx, &visible, id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok((tx, record))
    }

    /// The record in a write transaction on its municipalities: 404 when the user may not
    /// read it, 403 when they may read but not `write` it.
    pub async fn load_for_write<T: Located>(
        &self,
        read: impl Roles,
        write: impl Roles,
        id: Uuid,
    ) -> AppResult<(Tx, T)> {
        let (tx, record) = self.load::<T>(read, id).await?;
        tx.commit().await?;
        let owners = record.owners();
        // Found, so the user may read it: lacking the write permission in any of its
        // municipalities (also one they cannot see, a part of a shared office's meeting)
        // is 403, not 404.
        if owners
            .iter()
            .any(|m| !self.user.has_any_role(*m, write.roles()))
        {
            return Err(AppError::Forbidden);
        }
        let mut tx = self.write_tx_all(&owners, write).await?;
        let record = T::find(&mut tx, &owners, id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok((tx, record))
    }
}
