import t from 'tap'
import { geometryToGeoJson } from '../../../../plugins/app/query/geometry.js'

/** The server's storage format: SRID, then WKB (here built by hand, in either byte order). */
function wkb (littleEndian: boolean, type: number, body: Buffer): Buffer {
  const head = Buffer.alloc(5)
  head.writeUInt8(littleEndian ? 1 : 0, 0)
  if (littleEndian) head.writeUInt32LE(type, 1)
  else head.writeUInt32BE(type, 1)
  return Buffer.concat([head, body])
}
function uint32 (value: number, littleEndian = true): Buffer {
  const out = Buffer.alloc(4)
  if (littleEndian) out.writeUInt32LE(value)
  else out.writeUInt32BE(value)
  return out
}
function point (x: number, y: number, littleEndian = true): Buffer {
  const out = Buffer.alloc(16)
  if (littleEndian) { out.writeDoubleLE(x, 0); out.writeDoubleLE(y, 8) } else { out.writeDoubleBE(x, 0); out.writeDoubleBE(y, 8) }
  return out
}
const stored = (srid: number, value: Buffer) => Buffer.concat([uint32(srid), value])

t.test('either byte order, and a part in the other order than its collection', async (t) => {
  t.strictSame(geometryToGeoJson(stored(0, wkb(false, 1, point(1, 2, false)))), { type: 'Point', coordinates: [1, 2] })
  const mixed = wkb(true, 4, Buffer.concat([uint32(2), wkb(false, 1, point(1, 2, false)), wkb(true, 1, point(3, 4))]))
  t.strictSame(geometryToGeoJson(stored(3857, mixed)), { type: 'MultiPoint', coordinates: [[1, 2], [3, 4]], srid: 3857 })
})

t.test('bytes that are not a geometry give null (the caller keeps them as they are)', async (t) => {
  const good = stored(0, wkb(true, 1, point(1, 2)))
  t.ok(geometryToGeoJson(good))
  t.equal(geometryToGeoJson(good.subarray(0, 20)), null, 'cut short')
  t.equal(geometryToGeoJson(Buffer.concat([good, Buffer.from([0])])), null, 'a byte too many')
  t.equal(geometryToGeoJson(stored(0, wkb(true, 8, point(1, 2)))), null, 'an unknown type')
  t.equal(geometryToGeoJson(stored(0, wkb(true, 1001, point(1, 2)))), null, 'a Z point (not a MySQL value)')
  t.equal(geometryToGeoJson(Buffer.concat([uint32(0), Buffer.from([7]), uint32(1), point(1, 2)])), null, 'not a byte order')
  t.equal(geometryToGeoJson(stored(0, wkb(true, 2, uint32(0xffffffff)))), null, 'a count beyond the value, refused before anything is allocated')
  t.equal(geometryToGeoJson(stored(0, wkb(true, 4, Buffer.concat([uint32(1), wkb(true, 2, Buffer.concat([uint32(1), point(0, 0)]))])))), null, 'a LineString inside a MultiPoint')
  t.equal(geometryToGeoJson(Buffer.alloc(3)), null)
})

t.test('collections nested past any real value are refused, not a stack overflow', async (t) => {
  // 100,000 GeometryCollections, each the one member of the one around it (9 bytes each).
  const depth = 100_000
  const value = Buffer.alloc(9 * depth)
  for (let i = 0; i < depth; i++) {
    value.writeUInt8(1, 9 * i)
    value.writeUInt32LE(7, 9 * i + 1)
    value.writeUInt32LE(i === depth - 1 ? 0 : 1, 9 * i + 5)
  }
  t.equal(geometryToGeoJson(stored(0, value)), null)
  let shallow = wkb(true, 7, uint32(0))
  for (let i = 0; i < 10; i++) shallow = wkb(true, 7, Buffer.concat([uint32(1), shallow]))
  t.equal(geometryToGeoJson(stored(0, shallow))?.type, 'GeometryCollection')
})
