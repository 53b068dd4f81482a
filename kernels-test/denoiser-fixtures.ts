// Shared by the denoiser tests: schedules with chosen abar values.
import type { Schedule } from '../src/schedule/schedules.js';

/** A schedule whose steps 1..T have exactly these abar values (tests pick abar directly). */
export function abarSchedule(abars: number[]): Schedule {
  return {
    name: 'linear',
    T: abars.length,
    betas: new Float64Array(abars.length).fill(0.01),
    alphasCumprod: Float64Array.from(abars),
  };
}
