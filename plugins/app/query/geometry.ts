/**
 * A spatial value as a GeoJSON geometry (RFC 7946): `{ "type": "Point", "coordinates": [1, 2] }`.
 *
 * The server sends a GEOMETRY as its storage format: the SRID (4 bytes, little-endian), then the
 * value's WKB. mysql2's own reading of it keeps the coordinates only, in shapes that cannot be
 * told apart (a POLYGON and a MULTILINESTRING of one line are the same nested arrays, an empty
 * GEOMETRYCOLLECTION is `[]`) and drops the SRID. Here every kind keeps its type, the
 * coordinates are the stored doubles in their stored order (MySQL keeps a geographic value's
 * longitude first, as GeoJSON does), and a non-zero SRID is kept as a foreign member, `srid`.
 */

export type Geometry =
  | { type: 'Point', coordinates: number[] }
  | { type: 'LineString' | 'MultiPoint', coordinates: number[][] }
  | { type: 'Polygon' | 'MultiLineString', coordinates: number[][][] }
  | { type: 'MultiPolygon', coordinates: number[][][][] }
  | { type: 'GeometryCollection', geometries: Geometry[] }

const TYPES = ['Point', 'LineString', 'Polygon', 'MultiPoint', 'MultiLineString', 'MultiPolygon', 'GeometryCollection'] as const
/** Collections inside collections: far deeper than any real value, short of the stack's limit. */
const MAX_DEPTH = 64

class Reader {
  offset = 0
  littleEndian = true
  constructor (readonly buffer: Buffer) {}

  uint32 (): number {
    const value = this.littleEndian ? this.buffer.readUInt32LE(this.offset) : this.buffer.readUInt32BE(this.offset)
    this.offset += 4
    return value
  }

  /** A count of items at least `itemBytes` long each: never more than the bytes left can hold. */
  count (itemBytes: number): number {
    const n = this.uint32()
    if (n * itemBytes > this.buffer.length - this.offset) throw new RangeError('count beyond the value')
    return n
  }

  point (): number[] {
    const x = this.littleEndian ? this.buffer.readDoubleLE(this.offset) : this.buffer.readDoubleBE(this.offset)
    const y = this.littleEndian ? this.buffer.readDoubleLE(this.offset + 8) : this.buffer.readDoubleBE(this.offset + 8)
    this.offset += 16
    return [x, y]
  }

  points (): number[][] {
    const n = this.count(16)
    const out = new Array<number[]>(n)
    for (let i = 0; i < n; i++) out[i] = this.point()
    return out
  }

  rings (): number[][][] {
    const n = this.count(4)
    const out = new Array<number[][]>(n)
    for (let i = 0; i < n; i++) out[i] = this.points()
    return out
  }

  /** One WKB geometry: its byte order, its type, its body. */
  geometry (depth: number): Geometry {
    if (depth > MAX_DEPTH) throw new RangeError('nested too deep')
    const order = this.buffer.readUInt8(this.offset++)
    if (order > 1) throw new RangeError('not a byte order')
    this.littleEndian = order === 1
    const type = TYPES[this.uint32() - 1]
    switch (type) {
      case 'Point': return { type, coordinates: this.point() }
      case 'LineString': return { type, coordinates: this.points() }
      case 'Polygon': return { type, coordinates: this.rings() }
      case 'MultiPoint':
      case 'MultiLineString':
      case 'MultiPolygon': {
        const n = this.count(5)
        const parts = new Array<unknown>(n)
        for (let i = 0; i < n; i++) {
          const part = this.geometry(depth + 1)
          if (part.type !== type.slice(5) || part.type === 'GeometryCollection') throw new RangeError(`a ${part.type} inside a ${type}`)
          parts[i] = part.coordinates
        }
        return { type, coordinates: parts } as Geometry
      }
      case 'GeometryCollection': {
        const n = this.count(5)
        const geometries = new Array<Geometry>(n)
        for (let i = 0; i < n; i++) geometries[i] = this.geometry(depth + 1)
        return { type, geometries }
      }
      default: throw new RangeError('not a geometry type')
    }
  }
}

/**
 * The GeoJSON of a value in the server's storage format, or null when the bytes are not one
 * (the caller then keeps them as they are).
 */
export function geometryToGeoJson (value: Buffer): (Geometry & { srid?: number }) | null {
  if (value.length < 9) return null
  try {
    const srid = value.readUInt32LE(0)
    const reader = new Reader(value)
    reader.offset = 4
    const geometry: Geometry & { srid?: number } = reader.geometry(0)
    if (reader.offset !== value.length) return null
    if (srid !== 0) geometry.srid = srid
    return geometry
  } catch {
    return null
  }
}
