//! Receipts of settled collections: the number given once to a collection's receipt
//! (shared by the emailed receipt and the portal's page), and the receipt as the portal and
//! the employer API show it.
//!
//! Must not know: how a receipt is rendered (the web's page, the notice's email).

use mandates::CollectionStatus;
use serde::Serialize;

use super::{CollectionDetail, Store, StoreError, StoreResult};

/// A settled collection's receipt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Receipt {
    pub number: String,
    pub issued_at: String,
    pub collection: CollectionDetail,
}

impl Store {
    /// The receipt of a settled collection of `employer_id`, its number given now if the
    /// receipt notice has not given it yet (once: the same number as the emailed receipt).
    /// "Not found" for another employer's collection or one not settled.
    pub async fn receipt(&self, employer_id: i64, collection_id: i64) -> StoreResult<Receipt> {
        let collection = self.collection_detail(employer_id, collection_id).await?;
        if collection.status != CollectionStatus::Settled {
            return Err(StoreError::not_found(
                "receipt of collection",
                collection_id,
            ));
        }
        let number = match &collection.receipt_number {
            Some(number) => number.clone(),
            None => {
                self.receipt_number(collection_id, &collection.collection_date)
                    .await?
            }
        };
        let issued_at: String =
            sqlx::query_scalar("SELECT issued_at FROM receipts WHERE collection_id = $1")
                .bind(collection_id)
                .fetch_one(&self.pool)
                .await?;
        Ok(Receipt {
            number: number.clone(),
            issued_at,
            collection: CollectionDetail {
                receipt_number: Some(number),
                ..collection
            },
        })
    }

    /// The receipt that bears `number` (`RC-2026-00000001`), for staff and the command
    /// line; `None` when no receipt has that number. An employer's own pages go through
    /// [`Store::receipt`], which checks the employer.
    pub async fn receipt_by_number(&self, number: &str) -> StoreResult<Option<Receipt>> {
        let found: Option<(i64, i64)> = sqlx::query_as(
            "SELECT c.employer_id, c.id FROM receipts r JOIN collections c ON c.id = r.collection_id WHERE r.number = $1",
        )
        .bind(number.trim())
        .fetch_optional(&self.pool)
        .await?;
        match found {
            Some((employer_id, collection_id)) => {
                Ok(Some(self.receipt(employer_id, collection_id).await?))
            }
            None => Ok(None),
        }
    }

    /// The receipt number of a settled collection, given once: `RC-<year>-<8 digits>`
    /// from the receipts table's id, so unique across the fund and stable on a resend.
    pub(super) async fn receipt_number(
        &self,
        collection_id: i64,
        collection_date: &str,
    ) -> StoreResult<String> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO receipts (collection_id, issued_at) VALUES ($1, $2) ON CONFLICT (collection_id) DO NOTHING",
        )
        .bind(collection_id)
        .bind(self.now_text())
        .execute(&mut *tx)
        .await?;
        let (id, number): (i64, Option<String>) =
            sqlx::query_as("SELECT id, number FROM receipts WHERE collection_id = $1")
                .bind(collection_id)
                .fetch_one(&mut *tx)
                .await?;
        let number = match number {
            Some(number) => number,
            None => {
                let year = collection_date.get(..4).unwrap_or("0000");
                let number = format!("RC-{year}-{id:08}");
                sqlx::query("UPDATE receipts SET number = $2 WHERE id = $1")
                    .bind(id)
                    .bind(&number)
                    .execute(&mut *tx)
                    .await?;
                number
            }
        };
        tx.commit().await?;
        Ok(number)
    }
}
