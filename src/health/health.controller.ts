import { Controller, Get, HttpCode } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/decorators/public.decorator';
import { ErrorBody } from '../common/http/error-body';
import { HealthService } from './health.service';
import { HealthResponse } from './health.response';

@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  constructor(private readonly health: HealthService) {}

  /** Liveness: the process answers. Never touches the database. */
  @Get('health')
  @HttpCode(200)
  @ApiOkResponse({ type: HealthResponse })
  live(): HealthResponse {
    return this.health.live();
  }

  /** Readiness: the database answers within a second. */
  @Get('ready')
  @ApiOkResponse({ type: HealthResponse })
  @ApiServiceUnavailableResponse({ type: ErrorBody })
  ready(): Promise<HealthResponse> {
    return this.health.ready();
  }
}
