import type { DialectName } from '../../database/dialect.js'
import type { Token } from './lexer.js'
import { isCall, isPunct, isQualified, nameOf } from './tokens.js'

/**
 * Names the gateway knows as built-in functions of the connected server. An unqualified call of
 * one runs the server's own function (a stored function of the same name needs its database's
 * name); a call of any other name may run a stored or loadable function, whose body can leave
 * state on the connection, so its connection is reset afterwards. A name missing here costs one
 * reset; a name listed that the server does not have as built-in would let a stored function of
 * that name leave its state behind, so each dialect lists its own.
 */

const words = (list: string): string[] => list.trim().split(/\s+/)

/** Built in on MySQL 8, MariaDB 10.6+ and TiDB alike. */
const COMMON = words(`
  ABS ACOS ADDDATE ADDTIME AES_DECRYPT AES_ENCRYPT ASCII ASIN ATAN ATAN2 AVG BENCHMARK BIN BIT_AND BIT_COUNT
  BIT_LENGTH BIT_OR BIT_XOR CAST CEIL CEILING CHAR CHAR_LENGTH CHARACTER_LENGTH CHARSET COALESCE COERCIBILITY
  COLLATION COMPRESS CONCAT CONCAT_WS CONNECTION_ID CONV CONVERT CONVERT_TZ COS COT COUNT CRC32 CUME_DIST CURDATE
  CURRENT_DATE CURRENT_ROLE CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER CURTIME DATABASE DATE DATE_ADD DATE_FORMAT
  DATE_SUB DATEDIFF DAY DAYNAME DAYOFMONTH DAYOFWEEK DAYOFYEAR DEFAULT DEGREES DENSE_RANK ELT EXP EXPORT_SET
  EXTRACT EXTRACTVALUE FIELD FIND_IN_SET FIRST_VALUE FLOOR FORMAT FROM_BASE64 FROM_DAYS FROM_UNIXTIME GREATEST
  GROUP_CONCAT HEX HOUR IF IFNULL INET_ATON INET_NTOA INET6_ATON INET6_NTOA INSERT INSTR INTERVAL IS_FREE_LOCK
  IS_IPV4 IS_IPV4_COMPAT IS_IPV4_MAPPED IS_IPV6 IS_USED_LOCK ISNULL JSON_ARRAY JSON_ARRAY_APPEND JSON_ARRAY_INSERT
  JSON_ARRAYAGG JSON_CONTAINS JSON_CONTAINS_PATH JSON_DEPTH JSON_EXTRACT JSON_INSERT JSON_KEYS JSON_LENGTH
  JSON_MERGE JSON_MERGE_PATCH JSON_MERGE_PRESERVE JSON_OBJECT JSON_OBJECTAGG JSON_OVERLAPS JSON_PRETTY JSON_QUOTE
  JSON_REMOVE JSON_REPLACE JSON_SEARCH JSON_SET JSON_TYPE JSON_UNQUOTE JSON_VALID JSON_VALUE LAG LAST_DAY
  LAST_VALUE LCASE LEAD LEAST LEFT LENGTH LN LOCALTIME LOCALTIMESTAMP LOCATE LOG LOG10 LOG2 LOWER LPAD LTRIM
  MAKE_SET MAKEDATE MAKETIME MAX MD5 MICROSECOND MID MIN MINUTE MOD MONTH MONTHNAME NAME_CONST NOW NTH_VALUE
  NTILE NULLIF OCT OCTET_LENGTH ORD PERCENT_RANK PERIOD_ADD PERIOD_DIFF PI POSITION POW POWER QUARTER QUOTE
  RADIANS RAND RANDOM_BYTES RANK REGEXP_INSTR REGEXP_REPLACE REGEXP_SUBSTR REPEAT REPLACE REVERSE RIGHT ROUND
  ROW_NUMBER RPAD RTRIM SCHEMA SEC_TO_TIME SECOND SESSION_USER SHA SHA1 SHA2 SIGN SIN SLEEP SOUNDEX SPACE SQRT
  STD STDDEV STDDEV_POP STDDEV_SAMP STR_TO_DATE STRCMP SUBDATE SUBSTR SUBSTRING SUBSTRING_INDEX SUBTIME SUM SYSDATE
  SYSTEM_USER TAN TIME TIME_FORMAT TIME_TO_SEC TIMEDIFF TIMESTAMP TIMESTAMPADD TIMESTAMPDIFF TO_BASE64 TO_DAYS
  TO_SECONDS TRIM TRUNCATE UCASE UNCOMPRESS UNCOMPRESSED_LENGTH UNHEX UNIX_TIMESTAMP UPDATEXML UPPER USER UTC_DATE
  UTC_TIME UTC_TIMESTAMP UUID UUID_SHORT VALUES VAR_POP VAR_SAMP VARIANCE VERSION WEEK WEEKDAY WEEKOFYEAR
  WEIGHT_STRING YEAR YEARWEEK
  ST_AREA ST_ASBINARY ST_ASGEOJSON ST_ASTEXT ST_ASWKB ST_ASWKT ST_BUFFER ST_CENTROID ST_CONTAINS ST_CONVEXHULL
  ST_CROSSES ST_DIFFERENCE ST_DIMENSION ST_DISJOINT ST_DISTANCE ST_DISTANCE_SPHERE ST_ENDPOINT ST_ENVELOPE
  ST_EQUALS ST_EXTERIORRING ST_GEOMCOLLFROMTEXT ST_GEOMCOLLFROMWKB ST_GEOMETRYN ST_GEOMETRYTYPE ST_GEOMFROMGEOJSON
  ST_GEOMFROMTEXT ST_GEOMFROMWKB ST_INTERIORRINGN ST_INTERSECTION ST_INTERSECTS ST_ISCLOSED ST_ISEMPTY ST_ISRING
  ST_ISSIMPLE ST_LENGTH ST_LINEFROMTEXT ST_LINEFROMWKB ST_NUMGEOMETRIES ST_NUMINTERIORRINGS
  ST_NUMPOINTS ST_OVERLAPS ST_POINTFROMTEXT ST_POINTFROMWKB ST_POINTN ST_POLYFROMTEXT ST_POLYFROMWKB
  ST_SRID ST_STARTPOINT ST_SYMDIFFERENCE ST_TOUCHES ST_UNION ST_WITHIN ST_X ST_Y
  MBRCONTAINS MBRDISJOINT MBREQUALS MBRINTERSECTS MBROVERLAPS MBRTOUCHES MBRWITHIN
  GET_LOCK RELEASE_LOCK RELEASE_ALL_LOCKS LOAD_FILE FOUND_ROWS ROW_COUNT LAST_INSERT_ID
`)

const BY_DIALECT: Record<DialectName, string[]> = {
  mariadb: words(`
    ADD_MONTHS CHR COLUMN_CHECK COLUMN_EXISTS COLUMN_JSON COLUMN_LIST COLUMN_CREATE COLUMN_ADD COLUMN_DELETE
    COLUMN_GET CRC32C DECODE DECODE_HISTOGRAM DES_DECRYPT DES_ENCRYPT ENCODE ENCRYPT JSON_COMPACT JSON_DETAILED
    JSON_EQUALS JSON_EXISTS JSON_LOOSE JSON_NORMALIZE JSON_QUERY LASTVAL LENGTHB MEDIAN
    NATURAL_SORT_KEY NEXTVAL NVL NVL2 OLD_PASSWORD PASSWORD PERCENTILE_CONT PERCENTILE_DISC SETVAL SFORMAT
    SYS_GUID TO_CHAR
  `),
  // Listed nowhere: POINT(…) and the other geometry constructors, which MariaDB (and MySQL's
  // grammar alike) reads as its own only with the arguments its grammar expects (POINT with two),
  // and otherwise as a stored function's call; JSON_TABLE, a table in FROM and a stored function's
  // call in an expression. ST_ISVALID, ST_SIMPLIFY and ST_VALIDATE are not built in on MariaDB 10.x.
  mysql: words(`
    ANY_VALUE BIN_TO_UUID GROUPING ICU_VERSION IS_UUID JSON_SCHEMA_VALID JSON_SCHEMA_VALIDATION_REPORT
    JSON_STORAGE_FREE JSON_STORAGE_SIZE REGEXP_LIKE ROLES_GRAPHML STATEMENT_DIGEST
    STATEMENT_DIGEST_TEXT UUID_TO_BIN FORMAT_BYTES FORMAT_PICO_TIME PS_CURRENT_THREAD_ID PS_THREAD_ID
    ST_ISVALID ST_SIMPLIFY ST_VALIDATE
  `),
  tidb: words(`
    ANY_VALUE BIN_TO_UUID GROUPING IS_UUID JSON_STORAGE_FREE JSON_STORAGE_SIZE REGEXP_LIKE UUID_TO_BIN
    TIDB_VERSION TIDB_IS_DDL_OWNER TIDB_PARSE_TSO TIDB_DECODE_KEY TIDB_DECODE_PLAN TIDB_BOUNDED_STALENESS
    TIDB_CURRENT_TSO TIDB_ROW_CHECKSUM TIDB_SHARD VEC_DIMS VEC_L1_DISTANCE VEC_L2_DISTANCE VEC_COSINE_DISTANCE
    VEC_NEGATIVE_INNER_PRODUCT VEC_L2_NORM VEC_FROM_TEXT VEC_AS_TEXT LASTVAL NEXTVAL SETVAL
  `)
}

/**
 * Keywords that may stand before `(` without being a function (`IN (`, `AS (`, `OVER (`,
 * `DECIMAL(10, 2)`): unquoted, none can be the name of a stored function. A quoted name (`` `IN`( ``)
 * is a name, and is looked up in the functions only.
 */
const SYNTAX = new Set(words(`
  ALL AND ANY AS BETWEEN BY CASE CROSS DISTINCT DISTINCTROW DIV ELSE EXCEPT EXISTS FOR FROM GROUP HAVING IN INNER
  INTERSECT IS JOIN KEY INDEX LIKE LIMIT MATCH NATURAL NOT OF ON OR ORDER OUTER OVER PARTITION RECURSIVE REGEXP
  RLIKE ROW ROWS RANGE SELECT SOME STRAIGHT_JOIN THEN UNION USING WHEN WHERE WINDOW WITH XOR INTO TABLE
  BINARY DECIMAL DEC NUMERIC CHARACTER VARCHAR VARBINARY FLOAT DOUBLE REAL INT INTEGER
`))

const FUNCTIONS: Record<DialectName, ReadonlySet<string>> = {
  mariadb: new Set([...COMMON, ...BY_DIALECT.mariadb]),
  mysql: new Set([...COMMON, ...BY_DIALECT.mysql]),
  tidb: new Set([...COMMON, ...BY_DIALECT.tidb])
}

/** The names listed as built-in functions of `dialect` (upper-cased). */
export function builtInNames (dialect: DialectName): readonly string[] {
  return [...FUNCTIONS[dialect]]
}

/**
 * Whether a call of `name` (upper-cased) runs a built-in function of `dialect`: `quoted` names
 * (`` `CONCAT`(…) ``) are looked up among the functions only.
 */
export function isBuiltIn (dialect: DialectName, name: string, quoted: boolean): boolean {
  return FUNCTIONS[dialect].has(name) || (!quoted && SYNTAX.has(name))
}

/**
 * Whether the statement calls a function the gateway does not know as built-in: a name followed by
 * `(` that is qualified (`db.f()`), quoted and not a built-in, or unquoted and neither a built-in
 * nor a keyword. Such a call may run a stored or loadable function.
 */
export function callsUnknownCode (tokens: readonly Token[], dialect: DialectName): boolean {
  for (let i = 0; i < tokens.length; i++) {
    if (!isCall(tokens, i)) continue
    if (isQualified(tokens, i) || !isBuiltIn(dialect, nameOf(tokens[i]), tokens[i]!.kind === 'ident')) return true
  }
  return false
}

/**
 * Whether the statement draws from its connection's random generator: an unseeded `RAND()`, whose
 * state (`rand_seed1`, `rand_seed2`) stays with the pooled connection, one draw after another, for
 * the next session to read or to predict (RAND(n) has a generator of its own).
 */
export function drawsConnectionRandom (tokens: readonly Token[]): boolean {
  for (let i = 0; i < tokens.length; i++) {
    if (isCall(tokens, i) && !isQualified(tokens, i) && nameOf(tokens[i]) === 'RAND' && isPunct(tokens[i + 2], ')')) return true
  }
  return false
}
