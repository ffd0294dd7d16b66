// The schema lives in the domain (the SQL statements in src/domain/statements.ts decode with it).
export { UnitRowSchema } from "../domain/unitRow.js"
