import type { DaySpend } from '@waiaas/client';
import { toBaseUnits } from '../format.js';

/** SOL spent per UTC day as bars (an SVG; the figures are also in a table for screen readers). */
export function SpendChart(props: { days: DaySpend[]; dailyLimit: string | null }) {
  const values = props.days.map((d) => BigInt(d.assets[0]?.spentBaseUnits ?? '0'));
  const limit = props.dailyLimit === null ? 0n : (toBaseUnits(props.dailyLimit, 9) ?? 0n);
  const top = values.reduce((a, b) => (b > a ? b : a), limit > 0n ? limit : 1n);
  const width = 40;
  const height = 120;
  return (
    <figure class="chart">
      <svg
        viewBox={`0 0 ${props.days.length * width} ${height + 20}`}
        role="img"
        aria-label="SOL spent per day, last 7 days"
      >
        {props.days.map((day, i) => {
          const value = values[i] ?? 0n;
          const h = Number((value * BigInt(height)) / top);
          return (
            <g key={day.day}>
              <rect
                class="bar"
                x={i * width + 6}
                y={height - h}
                width={width - 12}
                height={Math.max(h, value > 0n ? 2 : 0)}
              >
                <title>{`${day.day}: ${day.assets[0]?.spent ?? '0'} SOL`}</title>
              </rect>
              <text x={i * width + width / 2} y={height + 14} text-anchor="middle" class="axis">
                {day.day.slice(8)}
              </text>
            </g>
          );
        })}
        {limit > 0n && (
          <line
            class="limit"
            x1={0}
            x2={props.days.length * width}
            y1={height - Number((limit * BigInt(height)) / top)}
            y2={height - Number((limit * BigInt(height)) / top)}
          />
        )}
      </svg>
      <figcaption>
        SOL per UTC day{props.dailyLimit !== null && <> (line: daily limit {props.dailyLimit})</>}
      </figcaption>
      <table class="visually-hidden">
        <tbody>
          {props.days.map((d) => (
            <tr key={d.day}>
              <th scope="row">{d.day}</th>
              <td>{d.assets[0]?.spent ?? '0'} SOL</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
