// The decoy engine's errors: MySQL's code, SQLSTATE and wording, and for errors only SQL Server has
// (conversion, divide by zero) SQL Server's message number, severity and text.

/** A SQL Server message the MSSQL session sends as it is, instead of mapping the MySQL code. */
export interface TsqlMessage {
  number: number;
  severity: number;
  message: string;
}

export class SqlError extends Error {
  constructor(
    readonly code: number,
    readonly state: string,
    message: string,
    readonly tsql?: TsqlMessage,
  ) {
    super(message);
  }
}

export function syntaxError(sql: string, pos: number): SqlError {
  const near = sql.slice(pos, pos + 80);
  return new SqlError(1064, '42000', `You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near '${near}' at line ${sql.slice(0, pos).split('\n').length}`);
}

/** Longest value quoted back in a conversion error (SQL Server's messages are cut at 2,047 characters by the session anyway). */
const MAX_QUOTED_VALUE_CHARS = 1024;

/** SQL Server's Msg 245: a character value that is not a number met an int (or another numeric type). */
export function conversionFailed(value: string, type: string, source: 'varchar' | 'nvarchar' = 'varchar'): SqlError {
  const quoted = value.slice(0, MAX_QUOTED_VALUE_CHARS);
  if (type === 'int' || type === 'bigint' || type === 'smallint' || type === 'tinyint' || type === 'bit') {
    return new SqlError(1105, 'HY000', `Conversion failed when converting the ${source} value '${quoted}' to data type ${type}.`, { number: 245, severity: 16, message: `Conversion failed when converting the ${source} value '${quoted}' to data type ${type}.` });
  }
  if (type === 'date' || type === 'datetime' || type === 'datetime2' || type === 'smalldatetime' || type === 'time') {
    return new SqlError(1105, 'HY000', 'Conversion failed when converting date and/or time from character string.', { number: 241, severity: 16, message: 'Conversion failed when converting date and/or time from character string.' });
  }
  if (type === 'uniqueidentifier') {
    return new SqlError(1105, 'HY000', 'Conversion failed when converting from a character string to uniqueidentifier.', { number: 8169, severity: 16, message: 'Conversion failed when converting from a character string to uniqueidentifier.' });
  }
  // decimal, numeric, float, real, money: "Error converting data type varchar to numeric."
  const to = type === 'decimal' ? 'numeric' : type;
  return new SqlError(1105, 'HY000', `Error converting data type ${source} to ${to}.`, { number: 8114, severity: 16, message: `Error converting data type ${source} to ${to}.` });
}

/** SQL Server's Msg 8134 (MySQL answers NULL instead). */
export function divideByZero(): SqlError {
  return new SqlError(1365, '22012', 'Division by 0', { number: 8134, severity: 16, message: 'Divide by zero error encountered.' });
}
